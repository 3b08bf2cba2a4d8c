package solver

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

const defaultMaxInstanceTypeOptions = 60

// plan assembles the result: new nodes resized to the cheapest type that holds what landed on them,
// placements on existing nodes, and reasons for the pods left over.
func (s *solver) plan() *Plan {
	p := &Plan{}
	for _, n := range s.nodes {
		if !n.isNew && len(n.placed) > 0 {
			p.Existing = append(p.Existing, ExistingPlacement{Node: n.name, Pods: n.placed})
		}
	}
	limit := s.snapshot.Options.MaxInstanceTypeOptions
	if limit <= 0 {
		limit = defaultMaxInstanceTypeOptions
	}
	for _, n := range s.newNodes {
		claim := s.finishNode(n, limit)
		p.NewNodeClaims = append(p.NewNodeClaims, claim)
		p.PricePerHour += claim.PricePerHour
	}
	for _, c := range s.classes {
		if c.remaining() == 0 {
			continue
		}
		reason := s.explain(c)
		for _, pod := range c.pods[c.placed:] {
			p.Unschedulable = append(p.Unschedulable, Unschedulable{Pod: types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}, Reason: reason})
		}
	}
	slices.SortFunc(p.Unschedulable, func(a, b Unschedulable) int {
		return cmp.Or(cmp.Compare(a.Pod.Namespace, b.Pod.Namespace), cmp.Compare(a.Pod.Name, b.Pod.Name))
	})
	p.LowerBoundPricePerHour = min(s.lowerBound(), p.PricePerHour)
	return p
}

// finishNode picks the cheapest instance type that every class on the node can use, in the node's zone and
// capacity type, that holds what was placed, and lists the alternatives for the launcher.
func (s *solver) finishNode(n *node, limit int) *NewNodeClaim {
	used := n.pt.avail.clone()
	used.sub(n.free, 1) // what the placed pods request
	p := n.pt.pool
	chosen, chosenOffering := n.pt, n.offering
	var options []InstanceTypeOption
	candidates := []*poolType{n.pt}
	if !s.typePinned(n) {
		candidates = s.byPrice(p, n.offering.Zone, n.offering.CapacityType)
	}
	for _, pt := range candidates {
		if !pt.avail.fits(used) || !s.usableByAll(n, pt) {
			continue
		}
		off, _ := offeringIn(pt, n.offering.Zone, n.offering.CapacityType)
		if len(options) == 0 {
			// The cheapest must also respect limits once swapped for what was charged.
			p.charge(n.pt.capacity, -1)
			allowed := p.allows(pt.capacity)
			p.charge(n.pt.capacity, 1)
			if !allowed {
				continue
			}
			chosen, chosenOffering = pt, off
		}
		options = append(options, InstanceTypeOption{Name: pt.it.Name, PricePerHour: off.Price})
		if len(options) == limit {
			break
		}
	}
	if len(options) == 0 {
		options = []InstanceTypeOption{{Name: n.pt.it.Name, PricePerHour: n.offering.Price}}
	}
	options = s.widenForMinValues(n, used, candidates, options)
	if chosen != n.pt {
		p.charge(n.pt.capacity, -1)
		p.charge(chosen.capacity, 1)
		for k := range n.pt.labels {
			delete(n.labels, k)
		}
		maps.Copy(n.labels, chosen.labels)
		n.pt, n.offering = chosen, chosenOffering
	}
	labels := maps.Clone(n.labels)
	delete(labels, corev1.LabelHostname)
	reqs := n.pt.pool.reqs.Copy()
	reqs.AddAll(scheduling.FromLabels(labels))
	return &NewNodeClaim{
		NodePool:            n.pt.pool.name,
		InstanceType:        n.pt.it.Name,
		Zone:                n.offering.Zone,
		CapacityType:        n.offering.CapacityType,
		PricePerHour:        n.offering.Price,
		Labels:              labels,
		Requirements:        reqs,
		Requests:            s.res.list(used),
		Pods:                n.placed,
		InstanceTypeOptions: options,
	}
}

// widenForMinValues adds options, cheapest first, until they span the number of distinct values each of the
// pool's minValues requirements asks for (such as five instance families), so the launcher keeps that much
// choice.
func (s *solver) widenForMinValues(n *node, used vector, candidates []*poolType, options []InstanceTypeOption) []InstanceTypeOption {
	byName := map[string]*poolType{}
	for _, pt := range candidates {
		byName[pt.it.Name] = pt
	}
	for key, r := range n.pt.pool.reqs {
		if r.MinValues == nil {
			continue
		}
		seen := map[string]bool{}
		have := map[string]bool{}
		for _, o := range options {
			have[o.Name] = true
			if pt := byName[o.Name]; pt != nil {
				seen[pt.labels[key]] = true
			}
		}
		for _, pt := range candidates {
			if len(seen) >= *r.MinValues {
				break
			}
			v := pt.labels[key]
			if seen[v] || have[pt.it.Name] || !pt.avail.fits(used) || !s.usableByAll(n, pt) {
				continue
			}
			off, _ := offeringIn(pt, n.offering.Zone, n.offering.CapacityType)
			options = append(options, InstanceTypeOption{Name: pt.it.Name, PricePerHour: off.Price})
			seen[v], have[pt.it.Name] = true, true
		}
	}
	return options
}

// typePinned: a class on the node constrains a label that comes from the instance type (other than zone,
// capacity type and hostname), so its rules were checked against this type's value; keep it.
func (s *solver) typePinned(n *node) bool {
	for _, c := range n.classes {
		for _, r := range c.rules {
			switch r.key {
			case corev1.LabelTopologyZone, v1.CapacityTypeLabelKey, corev1.LabelHostname:
			default:
				if _, fromType := n.pt.labels[r.key]; fromType {
					return true
				}
			}
		}
	}
	return false
}

// byPrice lists the pool's types offered in the zone and capacity type, cheapest first (cached).
func (s *solver) byPrice(p *pool, zone, capacityType string) []*poolType {
	key := p.name + "|" + zone + "|" + capacityType
	if out, ok := s.ranked[key]; ok {
		return out
	}
	var out []*poolType
	for _, pt := range p.types {
		if _, ok := offeringIn(pt, zone, capacityType); ok {
			out = append(out, pt)
		}
	}
	slices.SortStableFunc(out, func(a, b *poolType) int {
		oa, _ := offeringIn(a, zone, capacityType)
		ob, _ := offeringIn(b, zone, capacityType)
		return cmp.Or(cmp.Compare(oa.Price, ob.Price), cmp.Compare(a.it.Name, b.it.Name))
	})
	s.ranked[key] = out
	return out
}

// usableByAll reports whether every class on the node has the type among its options.
func (s *solver) usableByAll(n *node, pt *poolType) bool {
	for _, c := range n.classes {
		if c.usable == nil || c.usableLevel != c.level {
			c.usable = map[*poolType]bool{}
			c.usableLevel = c.level
			for _, o := range c.options {
				c.usable[o.pt] = true
			}
		}
		if !c.usable[pt] {
			return false
		}
	}
	return true
}

func admitsAny(c *class, labels map[string]string) bool {
	for _, alt := range c.alts {
		if matchesLabels(alt, labels) {
			return true
		}
	}
	return false
}

func offeringIn(pt *poolType, zone, capacityType string) (cloudprovider.Offering, bool) {
	for _, o := range pt.offerings {
		if o.Zone == zone && o.CapacityType == capacityType {
			return o, true
		}
	}
	return cloudprovider.Offering{}, false
}

// explain says why the class's remaining pods have no place.
func (s *solver) explain(c *class) string {
	if c.staticReason != "" {
		return c.staticReason
	}
	if c.lastBlock != "" {
		return c.lastBlock
	}
	if len(c.options) == 0 {
		return s.noPoolReason(c)
	}
	return "no existing node has room and no new node can take the pod"
}

// noPoolReason explains, pool by pool, why no instance type can run the class's pods.
func (s *solver) noPoolReason(c *class) string {
	if len(s.pools) == 0 {
		return "no node has room for it and there is no NodePool to launch one from"
	}
	var parts []string
	for _, p := range s.pools {
		parts = append(parts, fmt.Sprintf("NodePool %s: %s", p.name, s.poolReason(c, p)))
	}
	return "no node has room for it and no NodePool can launch one: " + strings.Join(parts, "; ")
}

func (s *solver) poolReason(c *class, p *pool) string {
	if err := scheduling.Tolerates(c.tolerations, p.taints); err != nil {
		return "the pod " + err.Error()
	}
	if len(p.types) == 0 {
		return "no instance type has an offering its requirements allow"
	}
	alts := c.alts
	if len(alts) == 0 {
		return "the pod's node affinity and preferences cannot all hold"
	}
	compatible := 0
	var largest *poolType
	var conflict error
	for _, pt := range p.types {
		for _, alt := range alts {
			if err := alt.Compatible(pt.combined, nil); err != nil {
				if conflict == nil {
					conflict = err
				}
				continue
			}
			compatible++
			if largest == nil || pt.avail[0] > largest.avail[0] || (pt.avail[0] == largest.avail[0] && pt.avail[1] > largest.avail[1]) {
				largest = pt
			}
			break
		}
	}
	switch {
	case compatible == 0 && conflict != nil:
		return "no instance type matches the pod's node requirements (" + conflict.Error() + ")"
	case compatible == 0:
		return "no instance type matches the pod's node requirements"
	}
	if !largest.avail.fits(c.req) {
		return fmt.Sprintf("the pod requests %s, more than any matching instance type has room for (the largest, %s, offers pods %s)",
			s.describe(c.req), largest.it.Name, s.describe(largest.avail))
	}
	return "no offering in a zone and capacity type the pod allows"
}

// describe renders a vector for people: cpu=2, memory=4Gi, pods=1.
func (s *solver) describe(v vector) string {
	var parts []string
	for i, n := range v {
		if n != 0 {
			parts = append(parts, string(s.res.names[i])+"="+quantityString(s.res.names[i], n))
		}
	}
	return strings.Join(parts, ", ")
}

func quantityString(name corev1.ResourceName, n int64) string {
	q := quantity(name, n)
	return q.String()
}

func joinReasons(parts []string) string {
	if len(parts) == 0 {
		return "no NodePool can launch a node for it"
	}
	return strings.Join(parts, "; ")
}
