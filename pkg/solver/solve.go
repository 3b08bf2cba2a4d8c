package solver

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

const unlimited = math.MaxInt32

// solver holds the state of one solve.
type solver struct {
	snapshot *Snapshot
	res      *resources
	counter  *counter
	volumes  volumeTopology
	rules    []*rule
	classes  []*class
	pools    []*pool
	nodes    []*node
	sigs     signatures
	options  map[string][]*option
	ranked   map[string][]*poolType
	levels   int
	newNodes []*node
	// final is set for the last passes over leftover pods, when topology domains are those of real nodes;
	// closed for the very last, which opens no node.
	final, closed bool
	// tight is set once a hostname spread relied on every node holding a matching pod: no node may open
	// after the main pass then, or it would be an empty domain below them.
	tight bool
	// typeKeys are the topology keys rules count, other than zone, capacity type and hostname (see
	// sameDomains).
	typeKeys []string
}

func newSolver(snapshot *Snapshot) *solver {
	s := &solver{
		snapshot: snapshot,
		res:      newResources(),
		counter:  newCounter(),
		volumes:  newVolumeTopology(snapshot),
		sigs:     signatures{},
		options:  map[string][]*option{},
		ranked:   map[string][]*poolType{},
	}
	s.preparePools()
	for _, n := range snapshot.Nodes {
		s.res.addAll(n.Allocatable)
	}

	// Classes of interchangeable pods, in a deterministic order.
	pods := slices.Clone(snapshot.Pods)
	slices.SortFunc(pods, func(a, b *corev1.Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	byKey := map[string]*class{}
	for _, pod := range pods {
		key := keyOf(pod, s.volumes)
		c, ok := byKey[key]
		if !ok {
			c = s.newClass(key, pod)
			byKey[key] = c
			s.classes = append(s.classes, c)
		}
		c.pods = append(c.pods, pod)
	}
	s.finishPools()
	for _, c := range s.classes {
		c.req = s.res.vector(c.requests)
	}

	// Existing nodes and in-flight claims, with their pods' requests, ports and anti-affinity.
	type existingPod struct {
		pod  *corev1.Pod
		node *node
	}
	var existingPods []existingPod
	nodes := slices.Clone(snapshot.Nodes)
	slices.SortStableFunc(nodes, func(a, b *Node) int {
		return cmp.Or(cmp.Compare(boolRank(a.InFlight), boolRank(b.InFlight)), cmp.Compare(a.Name, b.Name))
	})
	for _, sn := range nodes {
		n := &node{name: sn.Name, labels: maps.Clone(sn.Labels), taints: sn.Taints, free: s.res.vector(sn.Allocatable), counts: map[*class]int{}, index: len(s.nodes)}
		if n.labels == nil {
			n.labels = map[string]string{}
		}
		if _, ok := n.labels[corev1.LabelHostname]; !ok {
			n.labels[corev1.LabelHostname] = sn.Name
		}
		for _, pod := range sn.Pods {
			s.res.addAll(pod.Spec.Overhead) // rarely new; requests below use the index as it is
			n.free.sub(s.res.vector(scheduling.PodRequests(pod)), 1)
			n.ports = append(n.ports, hostPorts(pod)...)
			existingPods = append(existingPods, existingPod{pod: pod, node: n})
		}
		n.sig = s.sigs.of(n.labels, n.taints)
		s.nodes = append(s.nodes, n)
	}
	// Anti-affinity of running pods binds pending ones too.
	for _, ep := range existingPods {
		if a := ep.pod.Spec.Affinity; a != nil && a.PodAntiAffinity != nil {
			for _, t := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
				if r := s.termRule(ruleAntiAffinity, ep.pod, t); r != nil {
					r.required = true
					if d, ok := ep.node.labels[r.key]; ok {
						r.owners[d]++
					}
				}
			}
		}
	}
	// Every selector is known now: count the running pods.
	var spreads []*rule
	for _, r := range s.rules {
		if r.kind == ruleSpread {
			spreads = append(spreads, r)
		}
	}
	for _, ep := range existingPods {
		s.counter.add(s.counter.matching(ep.pod.Namespace, ep.pod.Labels), ep.node.labels, 1)
		for _, r := range spreads {
			if d, ok := ep.node.labels[r.key]; ok && r.selector.matches(ep.pod.Namespace, ep.pod.Labels) && s.countsOn(r, ep.node) {
				r.counts[d]++
			}
		}
	}
	for _, c := range s.classes {
		c.matching = s.counter.matching(c.namespace, c.labels)
		for _, r := range spreads {
			if r.selector.matches(c.namespace, c.labels) {
				c.counted = append(c.counted, r)
			}
		}
		for _, r := range s.rules {
			if r.kind == ruleAntiAffinity && r.required && r.selector.matches(c.namespace, c.labels) {
				c.blocked = append(c.blocked, r)
			}
		}
		for _, r := range c.baseRules {
			r.self = r.selector.matches(c.namespace, c.labels)
		}
		for _, o := range s.classes {
			if o == c {
				continue
			}
			for _, r := range o.baseRules {
				if r.kind == ruleSpread && r.selector.matches(c.namespace, c.labels) {
					c.watched = append(c.watched, r)
				}
			}
		}
		for _, p := range c.prefs {
			if p.rule != nil {
				p.rule.self = p.rule.selector.matches(c.namespace, c.labels)
			}
		}
		s.refresh(c)
		c.rank, c.size = s.rankOf(c)
	}
	slices.SortStableFunc(s.classes, func(a, b *class) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(b.size, a.size), cmp.Compare(a.key, b.key))
	})
	return s
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rankOf orders classes: those that need nodes of their own (hostname anti-affinity, host ports, hostname
// spread) first, so that others fill around them; those that follow other pods (affinity to other classes)
// last; within a rank, largest first.
func (s *solver) rankOf(c *class) (int, float64) {
	rank := 1
	for _, r := range c.rules {
		switch {
		case r.kind == ruleAffinity && !r.self:
			rank = 2
		case r.key == corev1.LabelHostname && rank == 1 && (r.kind == ruleAntiAffinity || r.kind == ruleSpread):
			rank = 0
		}
	}
	if len(c.hostPorts) > 0 && rank == 1 {
		rank = 0
	}
	// Size relative to the largest type any pool offers, cpu and memory.
	var maxCPU, maxMem int64 = 1, 1
	for _, p := range s.pools {
		for _, pt := range p.types {
			maxCPU, maxMem = max(maxCPU, pt.avail[0]), max(maxMem, pt.avail[1])
		}
	}
	return rank, float64(c.req[0])/float64(maxCPU) + float64(c.req[1])/float64(maxMem)
}

// refresh recomputes what depends on the class's relaxation level.
func (s *solver) refresh(c *class) {
	s.levels++
	c.level = s.levels
	c.verdicts = c.verdicts[:0]
	base := c.required
	if len(base) == 0 {
		base = []scheduling.Requirements{{}}
	}
	c.alts = nil
	for _, alt := range base {
		a := alt.Copy()
		for _, p := range c.prefs {
			if p.on && p.node != nil {
				a.AddAll(p.node)
			}
		}
		if satisfiable(a) {
			c.alts = append(c.alts, a)
		}
	}
	c.rules = slices.Clone(c.baseRules)
	for _, p := range c.prefs {
		if p.on && p.rule != nil {
			c.rules = append(c.rules, p.rule)
		}
	}
	c.options = s.optionsFor(c)
	zones := map[string]bool{}
	for _, n := range s.nodes {
		if z, ok := n.labels[corev1.LabelTopologyZone]; ok && s.admitsLabels(c, n) {
			zones[z] = true
		}
	}
	for _, o := range c.options {
		for _, off := range o.offerings {
			zones[off.Zone] = true
		}
	}
	c.zones = slices.Sorted(maps.Keys(zones))
	for _, r := range c.rules {
		if r.kind == ruleSpread {
			s.eligibleDomains(c, r)
		}
	}
	clear(c.cursor)
}

func satisfiable(reqs scheduling.Requirements) bool {
	for _, r := range reqs {
		if !r.Satisfiable() {
			return false
		}
	}
	return true
}

// optionsFor lists the (pool, instance type) pairs a new node for the class can be, in pool order, with the
// offerings the class allows; instance types the class's pod does not fit on are left out.
func (s *solver) optionsFor(c *class) []*option {
	var key strings.Builder
	for _, a := range c.alts {
		key.WriteString(a.String())
		key.WriteString(" | ")
	}
	for _, t := range c.tolerations {
		fmt.Fprintf(&key, "%s:%s:%s:%s;", t.Key, t.Operator, t.Value, t.Effect)
	}
	c.optionKey = key.String()
	templates, ok := s.options[c.optionKey]
	if !ok {
		for _, p := range s.pools {
			if scheduling.Tolerates(c.tolerations, p.taints) != nil {
				continue
			}
			for _, pt := range p.types {
				for _, alt := range c.alts {
					if alt.Compatible(pt.combined, nil) != nil {
						continue
					}
					zone, capacityType := alt.Get(corev1.LabelTopologyZone), alt.Get(v1.CapacityTypeLabelKey)
					var offerings []cloudprovider.Offering
					for _, o := range pt.offerings {
						if zone.Has(o.Zone) && capacityType.Has(o.CapacityType) {
							offerings = append(offerings, o)
						}
					}
					if len(offerings) > 0 {
						templates = append(templates, &option{pt: pt, alt: alt, offerings: offerings})
						break
					}
				}
			}
		}
		s.options[c.optionKey] = templates
	}
	out := make([]*option, 0, len(templates))
	for _, t := range templates {
		if fit := t.pt.avail.count(c.req, unlimited); fit > 0 {
			o := *t
			o.fit = fit
			out = append(out, &o)
		}
	}
	return out
}

// eligibleDomains computes the domains a spread rule balances across, as the kube-scheduler does with
// nodeAffinityPolicy Honor: those of nodes that the pod's own nodeSelector and required node affinity
// accept (volumes and preferences do not narrow them), existing or that any pool could launch; with
// nodeTaintsPolicy Honor, only nodes whose taints the pod tolerates.
func (s *solver) eligibleDomains(c *class, r *rule) {
	domains := map[string]bool{}
	r.newDomain = false
	accepts := func(labels map[string]string) bool {
		if r.ignoreAffinity {
			return true
		}
		for _, alt := range c.affinity {
			if matchesLabels(alt, labels) {
				return true
			}
		}
		return false
	}
	for _, n := range s.nodes {
		d, ok := n.labels[r.key]
		if !ok || n.isNew || !accepts(n.labels) {
			continue
		}
		if r.honorTaints && scheduling.Tolerates(c.tolerations, n.taints) != nil {
			continue
		}
		domains[d] = true
	}
	if s.final {
		// The plan's nodes are known now: its new nodes are the only new domains.
		for _, n := range s.newNodes {
			if d, ok := n.labels[r.key]; ok && accepts(n.labels) && (!r.honorTaints || scheduling.Tolerates(c.tolerations, n.taints) == nil) {
				domains[d] = true
			}
		}
		r.eligible = slices.Sorted(maps.Keys(domains))
		if r.key != corev1.LabelHostname {
			return
		}
	}
	for _, p := range s.pools {
		if r.honorTaints && scheduling.Tolerates(c.tolerations, p.taints) != nil {
			continue
		}
		for _, pt := range p.types {
			for _, alt := range c.affinity {
				if !r.ignoreAffinity && alt.Compatible(pt.combined, nil) != nil {
					continue
				}
				o := &option{pt: pt, alt: alt}
				for _, off := range pt.offerings {
					if !r.ignoreAffinity && (!alt.Get(corev1.LabelTopologyZone).Has(off.Zone) || !alt.Get(v1.CapacityTypeLabelKey).Has(off.CapacityType)) {
						continue
					}
					if r.key == corev1.LabelHostname {
						r.newDomain = true
					} else if d, ok := optionDomain(o, off, r.key); ok {
						domains[d] = true
					}
				}
				break
			}
		}
	}
	r.eligible = slices.Sorted(maps.Keys(domains))
}

// optionDomain is the value of key on a node opened from the option in the offering.
func optionDomain(o *option, off cloudprovider.Offering, key string) (string, bool) {
	switch key {
	case corev1.LabelTopologyZone:
		return off.Zone, true
	case v1.CapacityTypeLabelKey:
		return off.CapacityType, true
	}
	if v, ok := o.pt.labels[key]; ok {
		return v, true
	}
	if r, ok := o.alt[key]; ok && !r.AllowsAbsent() {
		return r.Intersection(o.pt.combined.Get(key)).Any()
	}
	return "", false
}

// admitsLabels reports whether the class's node requirements accept the node's labels, cached per class
// and label signature.
func (s *solver) admitsLabels(c *class, n *node) bool {
	return c.verdict(n.sig, 0, func() bool {
		for _, alt := range c.alts {
			if matchesLabels(alt, n.labels) {
				return true
			}
		}
		return false
	})
}

// admits reports whether the class's pods may run on the node at all: labels and taints.
func (s *solver) admits(c *class, n *node) bool {
	return s.admitsLabels(c, n) && c.verdict(n.sig, 1, func() bool {
		return scheduling.Tolerates(c.tolerations, n.taints) == nil
	})
}
