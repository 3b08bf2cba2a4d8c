package solver

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// newHost is the hostname domain of a node that does not exist yet: it holds no pods.
const newHost = "\x00new"

func (s *solver) solve() *Plan {
	packed := map[*class]bool{}
	for _, c := range s.classes {
		if packed[c] {
			continue
		}
		if s.simple(c) {
			// Unconstrained classes with the same node requirements are packed together, so that pods of
			// complementary shapes share nodes.
			var bundle []*class
			for _, o := range s.classes {
				if !packed[o] && o.optionKey == c.optionKey && s.simple(o) {
					bundle = append(bundle, o)
					packed[o] = true
				}
			}
			s.pack(bundle)
			continue
		}
		s.place(c)
	}
	// A class whose pods follow another class's (pod affinity) may find them placed now.
	for _, c := range s.classes {
		if c.remaining() > 0 && c.staticReason == "" {
			s.place(c)
		}
	}
	return s.plan()
}

// place puts as many of the class's pods as it can, relaxing preferences one at a time when stuck.
func (s *solver) place(c *class) {
	if c.staticReason != "" {
		return
	}
	for {
		for c.remaining() > 0 && s.step(c) > 0 {
		}
		if c.remaining() == 0 || c.active == 0 {
			return
		}
		s.relax(c)
	}
}

// relax turns off the lightest preference whose removal lets the class place pods again, and turns back on
// the lighter ones dropped earlier (they may hold again now that a heavier one is gone). It reports whether
// it found one; the class's next pods are then placed already.
func (s *solver) relax(c *class) bool {
	for i := len(c.prefs) - 1; i >= 0; i-- {
		if !c.prefs[i].on {
			continue
		}
		c.prefs[i].on = false
		c.active--
		s.refresh(c)
		if s.step(c) > 0 {
			// Lighter preferences are only ever re-enabled by dropping a heavier one, so this ends.
			for j := i + 1; j < len(c.prefs); j++ {
				if !c.prefs[j].on {
					c.prefs[j].on = true
					c.active++
				}
			}
			s.refresh(c)
			return true
		}
		c.prefs[i].on = true
		c.active++
	}
	// No single preference unblocks the class: drop them all.
	for i := range c.prefs {
		c.prefs[i].on = false
	}
	c.active = 0
	s.refresh(c)
	return false
}

// step places a batch of the class's pods on one node, existing or new, and returns how many.
func (s *solver) step(c *class) int {
	s.prepare(c)
	if zones := s.zonesByLoad(c); zones != nil {
		// Zonal rules: look in the allowed zones, least loaded first, each with its own cursor, so that nodes
		// of other zones are passed over once per zone rather than once per step.
		for _, z := range zones {
			if k := s.scan(c, z, func(n *node) bool { return n.labels[corev1.LabelTopologyZone] == z }); k > 0 {
				return k
			}
		}
	} else if k := s.scan(c, "", nil); k > 0 {
		return k
	}
	n := s.open(c)
	if n == nil {
		return 0
	}
	k, _ := s.fit(c, n)
	if k == 0 {
		// Cannot happen for an option that fits one pod with room in its domains; undo rather than loop.
		s.close(n)
		c.lastBlock = "internal: a new node could not take the pod it was opened for"
		return 0
	}
	s.record(c, n, k)
	return k
}

// scan places a batch on the first node (from the cursor named key) in scope that takes any; nodes that
// never will, or are out of scope, at the front of the list move the cursor on.
func (s *solver) scan(c *class, key string, inScope func(*node) bool) int {
	permanent := true
	for i := c.cursor[key]; i < len(s.nodes); i++ {
		n := s.nodes[i]
		if inScope != nil && !inScope(n) {
			if permanent {
				c.cursor[key] = i + 1
			}
			continue
		}
		k, stuck := s.fit(c, n)
		if k > 0 {
			s.record(c, n, k)
			return k
		}
		if permanent && stuck {
			c.cursor[key] = i + 1
		} else {
			permanent = false
		}
	}
	return 0
}

// prepare computes, once per step, each spread rule's global minimum and forgets memoised allowances.
func (s *solver) prepare(c *class) {
	for _, r := range c.rules {
		if r.kind == ruleSpread {
			r.least = s.minCount(r)
		}
		r.memo = r.memo[:0]
	}
}

// zonesByLoad returns, when the class has a rule on zones, the zones it may use now, least loaded first (by
// its first such rule's counts); nil when it has no zonal rule.
func (s *solver) zonesByLoad(c *class) []string {
	var first *rule
	for _, r := range c.rules {
		// Zone anti-affinity alone also allows nodes without a zone label; scan those the ordinary way.
		if r.key == corev1.LabelTopologyZone && r.kind != ruleAntiAffinity {
			first = r
			break
		}
	}
	if first == nil {
		return nil
	}
	zones := make([]string, 0, len(c.zones))
	for _, z := range c.zones {
		ok := true
		for _, r := range c.rules {
			if r.key == corev1.LabelTopologyZone && s.allowed(r, z, true) == 0 {
				ok = false
				break
			}
		}
		if ok {
			zones = append(zones, z)
		}
	}
	slices.SortStableFunc(zones, func(a, b string) int {
		return cmp.Compare(s.ruleCount(first, a), s.ruleCount(first, b))
	})
	return zones
}

// allowed is allow memoised for the step (domains are few for every key but hostname).
func (s *solver) allowed(r *rule, domain string, hasDomain bool) int {
	if r.key == corev1.LabelHostname {
		return s.allow(r, domain, hasDomain)
	}
	for _, m := range r.memo {
		if m.domain == domain && m.has == hasDomain {
			return m.allow
		}
	}
	a := s.allow(r, domain, hasDomain)
	r.memo = append(r.memo, memoEntry{domain: domain, has: hasDomain, allow: a})
	return a
}

// fit is how many of the class's remaining pods node n takes now; stuck means it never will (labels, taints,
// no room, or a per-node cap that only tightens).
func (s *solver) fit(c *class, n *node) (int, bool) {
	if !s.admits(c, n) {
		return 0, true
	}
	k := n.free.count(c.req, c.remaining())
	if k == 0 {
		return 0, true
	}
	if len(c.hostPorts) > 0 {
		if !n.portsFree(c.hostPorts) {
			return 0, true
		}
		k = 1
	}
	for _, r := range c.rules {
		d, ok := n.labels[r.key]
		a := s.allowed(r, d, ok)
		if a == 0 {
			// Hostname caps only tighten; other domains may open up as pods land elsewhere.
			return 0, r.key == corev1.LabelHostname && r.kind != ruleAffinity
		}
		k = min(k, a)
	}
	for _, r := range c.blocked {
		if d, ok := n.labels[r.key]; ok && r.owners[d] > 0 {
			return 0, r.key == corev1.LabelHostname
		}
	}
	for _, r := range c.watched {
		if d, ok := n.labels[r.key]; ok && r.owners[d] > 0 {
			if k = min(k, s.watchAllowance(r, d)); k == 0 {
				return 0, false
			}
		}
	}
	if n.isNew && n.pt.pool.minValues && n.counts[c] == 0 && !s.minValuesOK(append(slices.Clone(n.classes), c), n.pt, n.offering) {
		return 0, true // the types left for the node's pods would not span the pool's minValues
	}
	return k, false
}

// watchAllowance is how many pods matching another class's spread rule may join a domain that holds pods of
// that class without breaking their skew.
func (s *solver) watchAllowance(r *rule, domain string) int {
	return max(s.minCount(r)+r.maxSkew-r.counts[domain], 0)
}

// allow is how many more pods of the rule's class the domain takes (unlimited when the rule does not cap it).
func (s *solver) allow(r *rule, domain string, hasDomain bool) int {
	switch r.kind {
	case ruleSpread:
		if !hasDomain {
			return 0 // nodes without the topology key are not candidates for a DoNotSchedule spread
		}
		count := r.counts[domain]
		least := r.least
		if r.self {
			return max(least+r.maxSkew-count, 0)
		}
		if count-least <= r.maxSkew {
			return unlimited
		}
		return 0
	case ruleAffinity:
		if !hasDomain {
			return 0
		}
		if s.counter.count(r.selector, r.key, domain) > 0 || (r.self && s.counter.keyTotal(r.selector, r.key) == 0) {
			return unlimited
		}
		return 0
	default:
		if !hasDomain {
			return unlimited
		}
		if s.counter.count(r.selector, r.key, domain) > 0 {
			return 0
		}
		if r.self {
			return 1
		}
		return unlimited
	}
}

// minCount is the global minimum a spread rule measures skew against: the least-loaded eligible domain,
// or zero when fewer domains than minDomains are eligible or a new node would open an empty one.
func (s *solver) minCount(r *rule) int {
	if r.key == corev1.LabelHostname {
		// While any pool can still launch a node the pod's affinity accepts, that node would be an empty
		// domain, whoever it is launched for.
		if r.newDomain && !s.closed && s.roomForNode() {
			return 0
		}
		// Every node the pod may use is a domain, those this plan opens included.
		least, domains := -1, 0
		for _, n := range s.nodes {
			if _, ok := n.labels[r.key]; !ok || !s.countsOn(r, n) {
				continue
			}
			domains++
			if c := r.counts[n.labels[r.key]]; least < 0 || c < least {
				least = c
			}
		}
		if domains < r.minDomains {
			return 0
		}
		if least > 0 {
			// Pods now stack above one per node on the promise that no empty node appears later.
			s.tight = true
		}
		return max(least, 0)
	}
	if len(r.eligible) < r.minDomains {
		return 0
	}
	least := -1
	for _, d := range r.eligible {
		if c := r.counts[d]; least < 0 || c < least {
			least = c
		}
	}
	return max(least, 0)
}

// ruleCount is how many matching pods a rule counts in the domain: its own counts for spread rules (they
// honour the pod's node affinity and, if asked, taints), the counter's otherwise.
func (s *solver) ruleCount(r *rule, domain string) int {
	if r.kind == ruleSpread {
		return r.counts[domain]
	}
	return s.counter.count(r.selector, r.key, domain)
}

// countsOn reports whether a spread rule counts pods on the node: with nodeAffinityPolicy Honor (the
// default) only nodes the pod's own nodeSelector and required node affinity accept, with nodeTaintsPolicy
// Honor only nodes whose taints it tolerates. Cached per node signature.
func (s *solver) countsOn(r *rule, n *node) bool {
	if v, ok := r.accepted[n.sig]; ok {
		return v
	}
	ok := true
	if r.class != nil {
		if !r.ignoreAffinity {
			ok = false
			for _, alt := range r.class.affinity {
				if matchesLabels(alt, n.labels) {
					ok = true
					break
				}
			}
		}
		if ok && r.honorTaints {
			ok = scheduling.Tolerates(r.class.tolerations, n.taints) == nil
		}
	}
	r.accepted[n.sig] = ok
	return ok
}

// zoneInUse reports whether some node of the plan is in the zone.
func (s *solver) zoneInUse(zone string) bool {
	for _, n := range s.nodes {
		if n.labels[corev1.LabelTopologyZone] == zone {
			return true
		}
	}
	return false
}

// roomForNode reports whether some pool's limits still allow a node of one of its types.
func (s *solver) roomForNode() bool {
	for _, p := range s.pools {
		for _, pt := range p.types {
			if p.allows(pt.capacity) {
				return true
			}
		}
	}
	return false
}

// record places k pods of the class on the node.
func (s *solver) record(c *class, n *node, k int) {
	for _, pod := range c.pods[c.placed : c.placed+k] {
		n.placed = append(n.placed, types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name})
	}
	c.placed += k
	n.free.sub(c.req, k)
	if _, ok := n.counts[c]; !ok {
		n.classes = append(n.classes, c)
	}
	n.counts[c] += k
	n.ports = append(n.ports, c.hostPorts...)
	s.counter.add(c.matching, n.labels, k)
	for _, r := range c.counted {
		if d, ok := n.labels[r.key]; ok && s.countsOn(r, n) {
			r.counts[d] += k
		}
	}
	for _, r := range c.rules {
		if r.kind == ruleAntiAffinity || (r.kind == ruleSpread && r.required) {
			if d, ok := n.labels[r.key]; ok {
				r.owners[d] += k
			}
		}
	}
}

// open starts a new node for the class: in the heaviest pool that can take one, the instance type and
// offering with the lowest price per pod of the class it will hold.
func (s *solver) open(c *class) *node {
	if s.closed || (s.final && s.tight) {
		return nil
	}
	type choice struct {
		o           *option
		off         cloudprovider.Offering
		score, rate float64
	}
	var best *choice
	var bestPool *pool
	limited, blocked := false, false
	// When every rule is on zone, capacity type or hostname, allowance depends only on the offering's zone
	// and capacity type: compute it once per pair.
	type zoneAllowance struct {
		zone, capacityType string
		allow, share       int
	}
	keyed := s.offeringKeyed(c)
	var memo []zoneAllowance
	for _, o := range c.options {
		p := o.pt.pool
		if bestPool != nil && p != bestPool {
			break // a heavier pool already has a choice
		}
		if !p.allows(o.pt.capacity) {
			limited = true
			continue
		}
		// The class pays for the share of the node its pods' dominant resource takes; what is left is room
		// for other classes, and finishing resizes nodes to what they hold. So among types of equal value
		// per resource the larger wins, which lets later classes fill in around this one.
		// A pod takes at least 1/fit of the node, however small its share of each resource: what no further
		// pod of the class fits in is lost to it unless another class fills it.
		density := max(o.pt.avail.density(c.req), 1/float64(o.fit))
		for _, off := range o.offerings {
			// Offerings are cheapest first; a dearer one cannot beat the best.
			if best != nil && off.Price*density > best.score*(1+1e-9) {
				break
			}
			a, m := -1, 0
			if keyed {
				for _, z := range memo {
					if z.zone == off.Zone && z.capacityType == off.CapacityType {
						a, m = z.allow, z.share
						break
					}
				}
			}
			if a < 0 {
				a = s.openAllowance(c, o, off)
				if a > 0 {
					m = s.share(c, o, off, a)
				}
				if keyed {
					memo = append(memo, zoneAllowance{off.Zone, off.CapacityType, a, m})
				}
			}
			if a == 0 {
				blocked = true
				continue
			}
			if p.minValues && !s.minValuesOK([]*class{c}, o.pt, off) {
				continue
			}
			// A node bought for fewer pods of the class than it holds costs them what the type a resize would
			// shrink it to costs (see share and perPod), however well the type prices a full node. Types that
			// tie on that are told apart by their own price per pod, then by size.
			rate := off.Price * density
			score := max(rate, s.perPod(c, o, off, m))
			switch {
			case best == nil, score < best.score*(1-1e-9):
			case score > best.score*(1+1e-9), rate > best.rate*(1+1e-9):
				continue
			case rate < best.rate*(1-1e-9), o.fit > best.o.fit:
			default:
				continue
			}
			best, bestPool = &choice{o: o, off: off, score: score, rate: rate}, p
		}
	}
	if best == nil {
		switch {
		case len(c.options) == 0:
			c.lastBlock = ""
		case blocked:
			c.lastBlock = s.blockingRule(c)
		case limited:
			c.lastBlock = s.limitReason(c)
		}
		return nil
	}
	return s.openNode(c, best.o, best.off)
}

// openNode adds a new node from the option in the offering, charging the pool.
func (s *solver) openNode(c *class, o *option, off cloudprovider.Offering) *node {
	labels, ok := newNodeLabels(o, off)
	if !ok {
		c.lastBlock = "no value can be chosen for a label the pod requires"
		return nil
	}
	name := "new-" + strconv.Itoa(len(s.newNodes)+1)
	labels[corev1.LabelHostname] = name
	n := &node{
		name: name, labels: labels, taints: o.pt.pool.taints, free: o.pt.avail.clone(),
		counts: map[*class]int{}, isNew: true, pt: o.pt, offering: off, alt: o.alt, index: len(s.nodes),
	}
	n.sig = s.sigs.of(n.labels, n.taints)
	o.pt.pool.charge(o.pt.capacity, 1)
	s.nodes = append(s.nodes, n)
	s.newNodes = append(s.newNodes, n)
	return n
}

// offeringKeyed reports whether the class's rules and the anti-affinity binding it only look at zone,
// capacity type and hostname.
func (s *solver) offeringKeyed(c *class) bool {
	for _, rs := range [][]*rule{c.rules, c.blocked} {
		for _, r := range rs {
			switch r.key {
			case corev1.LabelTopologyZone, v1.CapacityTypeLabelKey, corev1.LabelHostname:
			default:
				return false
			}
		}
	}
	return true
}

// close removes the most recently opened node.
func (s *solver) close(n *node) {
	n.pt.pool.charge(n.pt.capacity, -1)
	s.nodes = s.nodes[:len(s.nodes)-1]
	s.newNodes = s.newNodes[:len(s.newNodes)-1]
}

// openAllowance is how many pods of the class a new node from the option and offering could take under the
// class's domain rules.
func (s *solver) openAllowance(c *class, o *option, off cloudprovider.Offering) int {
	a := unlimited
	if len(c.hostPorts) > 0 {
		a = 1
	}
	for _, r := range c.rules {
		d, ok := newHost, true
		if r.key != corev1.LabelHostname {
			d, ok = optionDomain(o, off, r.key)
		}
		a = min(a, s.allow(r, d, ok))
		if a == 0 {
			return 0
		}
	}
	for _, r := range c.blocked {
		if r.key == corev1.LabelHostname {
			continue
		}
		if d, ok := optionDomain(o, off, r.key); ok && r.owners[d] > 0 {
			return 0
		}
	}
	for _, r := range c.watched {
		if r.key == corev1.LabelHostname {
			continue
		}
		if d, ok := optionDomain(o, off, r.key); ok && r.owners[d] > 0 {
			a = min(a, s.watchAllowance(r, d))
		}
	}
	if s.final {
		// No node in a zone the plan has no node in yet: it would be a new domain for pods already placed.
		if !s.zoneInUse(off.Zone) {
			return 0
		}
		// No new domains in the last pass: they would change the skew the plan's other pods were placed by.
		for _, r := range c.rules {
			if r.kind == ruleSpread && r.key != corev1.LabelHostname {
				if d, ok := optionDomain(o, off, r.key); !ok || !slices.Contains(r.eligible, d) {
					return 0
				}
			}
		}
	}
	return a
}

// newNodeLabels are the labels of a node opened from the option in the offering: the type's and pool's,
// zone and capacity type, and a value for each label the class requires that the pool lets it choose.
func newNodeLabels(o *option, off cloudprovider.Offering) (map[string]string, bool) {
	labels := maps.Clone(o.pt.labels)
	labels[corev1.LabelTopologyZone] = off.Zone
	labels[v1.CapacityTypeLabelKey] = off.CapacityType
	// Labels the pool requires (a custom key with several allowed values, say) or the pod requires get a
	// value both allow; keys are visited in order so the choice is deterministic.
	for _, k := range unionKeys(o.alt, o.pt.combined) {
		if _, ok := labels[k]; ok {
			continue
		}
		r := o.pt.combined.Get(k).Intersection(o.alt.Get(k))
		if r.AllowsAbsent() {
			continue
		}
		v, ok := pickValue(r)
		if !ok {
			return nil, false
		}
		labels[k] = v
	}
	return labels, true
}

func unionKeys(a, b scheduling.Requirements) []string {
	keys := a.Keys()
	for _, k := range b.Keys() {
		if !a.Has(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// pickValue chooses a value a requirement allows: the smallest listed one, or for an open-ended requirement
// (Exists, NotIn, Gt) a made-up one that it allows.
func pickValue(r *scheduling.Requirement) (string, bool) {
	if v, ok := r.Any(); ok {
		return v, true
	}
	if r.Len() != math.MaxInt {
		return "", false
	}
	for i := range 100 {
		for _, v := range []string{strconv.Itoa(i), "stevedore-" + strconv.Itoa(i)} {
			if r.Has(v) {
				return v, true
			}
		}
	}
	return "", false
}

// blocking returns the class's rule that keeps it out of every domain a new node could open, or nil.
func (s *solver) blocking(c *class) *rule {
	for _, r := range c.rules {
		open := false
		for _, o := range c.options {
			for _, off := range o.offerings {
				d, ok := newHost, true
				if r.key != corev1.LabelHostname {
					d, ok = optionDomain(o, off, r.key)
				}
				if s.allow(r, d, ok) > 0 {
					open = true
					break
				}
			}
			if open {
				break
			}
		}
		if !open {
			return r
		}
	}
	return nil
}

// blockingRule names the rule that keeps the class out of every domain a new node could open.
func (s *solver) blockingRule(c *class) string {
	if r := s.blocking(c); r != nil {
		return fmt.Sprintf("%s cannot be satisfied: no node has room in an allowed domain and no new node can open one", r)
	}
	for _, r := range c.blocked {
		return fmt.Sprintf("pod anti-affinity of pods already placed (on %s) excludes every domain with room", r.key)
	}
	return "topology constraints leave no domain with room"
}

// limitReason names the NodePools whose limits stop a new node.
func (s *solver) limitReason(c *class) string {
	seen := map[*pool]bool{}
	var parts []string
	for _, o := range c.options {
		p := o.pt.pool
		if seen[p] {
			continue
		}
		seen[p] = true
		if p.nodeLimit >= 0 && p.nodes+1 > p.nodeLimit {
			parts = append(parts, fmt.Sprintf("NodePool %s is at its limit of %d nodes", p.name, p.nodeLimit))
			continue
		}
		for i, limited := range p.limited {
			if limited && p.usage[i]+o.pt.capacity[i] > p.limits[i] {
				parts = append(parts, fmt.Sprintf("NodePool %s would exceed its %s limit (%s used of %s)", p.name, s.res.names[i],
					quantityString(s.res.names[i], p.usage[i]), quantityString(s.res.names[i], p.limits[i])))
				break
			}
		}
	}
	return "no existing node has room and " + joinReasons(parts)
}
