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
	// Resize the new nodes, then give leftover pods a last chance against the capacity as it now is, with
	// topology domains as they now are (see eligibleDomains); nodes opened then are resized too.
	for i := 0; i < len(s.newNodes); i++ {
		s.resize(s.newNodes[i])
	}
	s.final = true
	for _, c := range s.classes {
		if c.remaining() > 0 && c.staticReason == "" {
			s.refresh(c)
			s.place(c)
		}
	}
	for _, n := range s.newNodes {
		if !n.resized {
			s.resize(n)
		}
	}
	// Then, with no node opened any more, hostname domains are exactly the plan's nodes too.
	s.closed = true
	for _, c := range s.classes {
		if c.remaining() > 0 && c.staticReason == "" {
			s.refresh(c)
			s.place(c)
		}
	}

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
		claim := s.claim(n, limit)
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

// used is what the pods placed on a new node request.
func (n *node) used() vector {
	used := n.pt.avail.clone()
	used.sub(n.free, 1)
	return used
}

// resize swaps a new node's instance type for the cheapest that every class on it can use, in its zone and
// capacity type, that holds what was placed and stays within the pool's limits.
func (s *solver) resize(n *node) {
	n.resized = true
	used := n.used()
	p := n.pt.pool
	for _, pt := range s.byPrice(p, n.offering.Zone, n.offering.CapacityType) {
		if pt == n.pt {
			return // nothing cheaper fits
		}
		if !pt.avail.fits(used) || !s.sameDomains(n, pt) || !s.servesAll(n, pt) || !s.minValuesOK(n.classes, pt, n.offering) {
			continue
		}
		p.charge(n.pt.capacity, -1)
		if !p.allows(pt.capacity) {
			p.charge(n.pt.capacity, 1)
			continue
		}
		p.charge(pt.capacity, 1)
		for k := range n.pt.labels {
			delete(n.labels, k)
		}
		maps.Copy(n.labels, pt.labels)
		n.offering, _ = offeringIn(pt, n.offering.Zone, n.offering.CapacityType)
		n.pt = pt
		n.free = pt.avail.clone()
		n.free.sub(used, 1)
		n.sig = s.sigs.of(n.labels, n.taints)
		return
	}
}

// claim describes a new node for the plan, listing the instance types the launcher may fall back on:
// those every class on it can use, in its zone and capacity type, that hold what was placed.
func (s *solver) claim(n *node, limit int) *NewNodeClaim {
	used := n.used()
	candidates := s.byPrice(n.pt.pool, n.offering.Zone, n.offering.CapacityType)
	options := []InstanceTypeOption{{Name: n.pt.it.Name, PricePerHour: n.offering.Price}}
	for _, pt := range candidates {
		if len(options) >= limit {
			break
		}
		if pt == n.pt || !pt.avail.fits(used) || !s.sameDomains(n, pt) || !s.servesAll(n, pt) {
			continue
		}
		off, _ := offeringIn(pt, n.offering.Zone, n.offering.CapacityType)
		if off.Price < n.offering.Price {
			continue // cheaper but not chosen (limits or minValues): the chosen type leads the options
		}
		options = append(options, InstanceTypeOption{Name: pt.it.Name, PricePerHour: off.Price})
	}
	options = s.widenForMinValues(n, used, candidates, options)
	slices.SortStableFunc(options, func(a, b InstanceTypeOption) int {
		if a.Name == n.pt.it.Name || b.Name == n.pt.it.Name {
			return cmp.Compare(boolRank(a.Name != n.pt.it.Name), boolRank(b.Name != n.pt.it.Name))
		}
		return cmp.Compare(a.PricePerHour, b.PricePerHour)
	})
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

// minValuesOK reports whether a node of type pt in the offering keeps the choice the pool's minValues
// requirements ask for: enough distinct values of each such key among types that the classes can use, that
// are offered in the same zone and capacity type, and that hold at least what pt holds (so whatever fits pt
// fits them).
func (s *solver) minValuesOK(classes []*class, pt *poolType, off cloudprovider.Offering) bool {
	for key, r := range pt.pool.reqs {
		if r.MinValues == nil {
			continue
		}
		seen := map[string]bool{}
		own, _ := offeringIn(pt, off.Zone, off.CapacityType)
		for _, other := range s.byPrice(pt.pool, off.Zone, off.CapacityType) {
			// Options lead with the chosen type, so only types at least as dear count.
			if price, _ := offeringIn(other, off.Zone, off.CapacityType); price.Price < own.Price || !other.avail.fits(pt.avail) {
				continue
			}
			usable := true
			for _, c := range classes {
				if !s.usableIn(c, other, off) {
					usable = false
					break
				}
			}
			if usable {
				seen[other.labels[key]] = true
			}
		}
		if len(seen) < *r.MinValues {
			return false
		}
	}
	return true
}

// widenForMinValues adds options, cheapest first, until they span the number of distinct values each of the
// pool's minValues requirements asks for (such as five instance families), so the launcher keeps that much
// choice.
func (s *solver) widenForMinValues(n *node, used vector, candidates []*poolType, options []InstanceTypeOption) []InstanceTypeOption {
	if !n.pt.pool.minValues {
		return options
	}
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
			if seen[v] || have[pt.it.Name] || !pt.avail.fits(used) || !s.sameDomains(n, pt) || !s.servesAll(n, pt) {
				continue
			}
			off, _ := offeringIn(pt, n.offering.Zone, n.offering.CapacityType)
			if off.Price < n.offering.Price {
				continue
			}
			options = append(options, InstanceTypeOption{Name: pt.it.Name, PricePerHour: off.Price})
			seen[v], have[pt.it.Name] = true, true
		}
	}
	return options
}

// sameDomains reports whether a node of type pt would sit in the same topology domains as the node does now
// for every key some rule (of any class: other pods' counts depend on this node's labels too) counts, other
// than zone, capacity type and hostname, which resizing keeps.
func (s *solver) sameDomains(n *node, pt *poolType) bool {
	if s.typeKeys == nil {
		s.typeKeys = []string{}
		seen := map[string]bool{}
		for _, r := range s.rules {
			switch r.key {
			case corev1.LabelTopologyZone, v1.CapacityTypeLabelKey, corev1.LabelHostname:
				continue
			}
			if !seen[r.key] {
				seen[r.key] = true
				s.typeKeys = append(s.typeKeys, r.key)
			}
		}
	}
	for _, key := range s.typeKeys {
		old, had := n.pt.labels[key]
		now, has := pt.labels[key]
		if had != has || old != now {
			return false
		}
	}
	return true
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

// servesAll reports whether every class on the node accepts the node's labels with the type's in place of
// the current type's: the same zone, capacity type and chosen labels, another instance type.
func (s *solver) servesAll(n *node, pt *poolType) bool {
	if pt == n.pt {
		return true
	}
	if !s.usableByAll(n, pt) {
		return false
	}
	// The node's labels with pt's in place of its type's, looked up without building the map.
	lookup := func(k string) (string, bool) {
		if v, ok := pt.labels[k]; ok {
			return v, true
		}
		if _, ok := n.pt.labels[k]; ok {
			return "", false
		}
		v, ok := n.labels[k]
		return v, ok
	}
	for _, c := range n.classes {
		admitted := false
		for _, alt := range c.alts {
			if matchesLookup(alt, lookup) {
				admitted = true
				break
			}
		}
		if !admitted {
			return false
		}
	}
	return true
}

// matchesLookup is matchesLabels over labels given by a lookup function.
func matchesLookup(reqs scheduling.Requirements, lookup func(string) (string, bool)) bool {
	for k, r := range reqs {
		if v, ok := lookup(k); ok {
			if !r.Has(v) {
				return false
			}
		} else if !r.AllowsAbsent() {
			return false
		}
	}
	return true
}

// usableByAll reports whether every class on the node has the type among its options.
func (s *solver) usableByAll(n *node, pt *poolType) bool {
	for _, c := range n.classes {
		if !s.usable(c, pt) {
			return false
		}
	}
	return true
}

// usable reports whether the type is among the class's options.
func (s *solver) usable(c *class, pt *poolType) bool {
	if c.usable == nil || c.usableLevel != c.level {
		c.usable = map[*poolType]bool{}
		c.usableAt = map[usableKey]bool{}
		c.usableLevel = c.level
		for _, o := range c.options {
			c.usable[o.pt] = true
		}
	}
	return c.usable[pt]
}

// usableIn reports whether the class may use the type in the offering's zone and capacity type. usable is
// not enough when node affinity has alternatives ("zone a, or a small type anywhere"): a large type is then
// among the options for zone a only, and counting it for minValues on a node in zone b promised the
// launcher a choice the claim's options cannot hold.
func (s *solver) usableIn(c *class, pt *poolType, off cloudprovider.Offering) bool {
	if !s.usable(c, pt) {
		return false
	}
	key := usableKey{pt: pt, zone: off.Zone, capacityType: off.CapacityType}
	if v, ok := c.usableAt[key]; ok {
		return v
	}
	ok := false
	for _, alt := range c.alts {
		if alt.Get(corev1.LabelTopologyZone).Has(off.Zone) && alt.Get(v1.CapacityTypeLabelKey).Has(off.CapacityType) && alt.Compatible(pt.combined, nil) == nil {
			ok = true
			break
		}
	}
	c.usableAt[key] = ok
	return ok
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
