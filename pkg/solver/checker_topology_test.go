package solver_test

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

type spreadCounts struct {
	eligible []bool
	counts   map[string]int
	min      int
}

// spreadEligible reports whether n counts for the constraint st of pod (node inclusion policies, and every
// hard constraint's key present).
func (c *planChecker) spreadEligible(pod *corev1.Pod, in *podInfo, st spreadTerm, n *stateNode) bool {
	for _, other := range in.spreads {
		if _, ok := n.labels()[other.c.TopologyKey]; !ok {
			return false
		}
	}
	if st.c.NodeAffinityPolicy == nil || *st.c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor {
		if ok, err := in.affinity.Match(n.node); err != nil || !ok {
			return false
		}
	}
	if st.c.NodeTaintsPolicy != nil && *st.c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor {
		if _, bad := untolerated(pod, n.node.Spec.Taints); bad {
			return false
		}
	}
	return true
}

// spreadCountsFor computes (once per distinct constraint and node eligibility) the counts of st over the
// final state.
func (c *planChecker) spreadCountsFor(pod *corev1.Pod, in *podInfo, st spreadTerm) *spreadCounts {
	var policies string
	if st.c.NodeAffinityPolicy != nil {
		policies += string(*st.c.NodeAffinityPolicy)
	}
	policies += "/"
	if st.c.NodeTaintsPolicy != nil {
		policies += string(*st.c.NodeTaintsPolicy)
	}
	key := st.term.id + "|" + policies + "|" + in.eligSig
	if sc, ok := c.spreadMemo[key]; ok {
		return sc
	}
	sc := &spreadCounts{eligible: make([]bool, len(c.nodes)), counts: map[string]int{}}
	for i, n := range c.nodes {
		if !c.spreadEligible(pod, in, st, n) {
			continue
		}
		sc.eligible[i] = true
		cnt := 0
		for _, q := range n.pods {
			if c.selects(st.term, q.class) {
				cnt++
			}
		}
		sc.counts[n.labels()[st.c.TopologyKey]] += cnt
	}
	sc.min = math.MaxInt
	for _, v := range sc.counts {
		sc.min = min(sc.min, v)
	}
	c.spreadMemo[key] = sc
	return sc
}

// spreadFit applies the PodTopologySpread filter for pod on n over the final state. self is the pod's own
// entry when it is placed (its contribution is removed first: "placing it last"), and then the reason has
// the counts; n may be the fresh node, whose domain is added with no pods.
func (c *planChecker) spreadFit(pod *corev1.Pod, n *stateNode, self *statePod) string {
	in := c.podInfoOf(pod)
	for _, st := range in.spreads {
		val, ok := n.labels()[st.c.TopologyKey]
		if !ok {
			return fmt.Sprintf("node has no %s label, required by a topology spread constraint", st.c.TopologyKey)
		}
		sc := c.spreadCountsFor(pod, in, st)
		selfMatch := 0
		if st.term.matchesPod(pod) {
			selfMatch = 1
		}
		count, low, domains := sc.counts[val], sc.min, len(sc.counts)
		if n.fresh {
			if _, known := sc.counts[val]; !known && c.spreadEligible(pod, in, st, n) {
				domains++
				low = 0
			}
		}
		if self != nil && self.node.idx >= 0 && sc.eligible[self.node.idx] && selfMatch == 1 {
			count--
			low = min(low, count)
		}
		if domains == 0 {
			low = 0
		}
		if st.c.MinDomains != nil && domains < int(*st.c.MinDomains) {
			low = 0
		}
		if skew := count + selfMatch - low; skew > int(st.c.MaxSkew) {
			if self == nil {
				return "spread on " + st.c.TopologyKey + " would exceed maxSkew in domain " + val
			}
			return fmt.Sprintf("spread on %s (maxSkew %d, minDomains %v, selector %s): domain %s would hold %d matching pods against a minimum of %d over %d domains (counts %v)",
				st.c.TopologyKey, st.c.MaxSkew, ptrString(st.c.MinDomains), st.term.sel, val, count+selfMatch, low, domains, sortedCounts(sc.counts))
		}
	}
	return ""
}

// ptrString prints an optional int32.
func ptrString(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}

// sortedCounts prints domain counts in a stable order.
func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// topologyPair is a topology key and value.
type topologyPair struct{ key, value string }

// affinityCounts is the InterPodAffinity pre-filter state for a pod's required affinity terms: for every pod
// matching all the terms, one count per term on its node's topology value.
type affinityCounts struct {
	counts map[topologyPair]int
	total  int
}

// affinityCountsFor computes the affinity counts of the pod's required terms over the final state.
func (c *planChecker) affinityCountsFor(in *podInfo) *affinityCounts {
	if ac, ok := c.affMemo[in.affSig]; ok {
		return ac
	}
	ac := &affinityCounts{counts: map[topologyPair]int{}}
	for _, q := range c.pods {
		if !c.selectsAll(in.affTerms, q.class) {
			continue
		}
		for _, t := range in.affTerms {
			if v, ok := q.node.labels()[t.key]; ok {
				ac.counts[topologyPair{t.key, v}]++
				ac.total++
			}
		}
	}
	c.affMemo[in.affSig] = ac
	return ac
}

// selectsAll reports whether every term selects the label class.
func (c *planChecker) selectsAll(terms []*podTerm, class int) bool {
	for _, t := range terms {
		if !c.selects(t, class) {
			return false
		}
	}
	return true
}

// affinityFit applies the InterPodAffinity filter's required affinity part for an unplaced pod on n.
func (c *planChecker) affinityFit(pod *corev1.Pod, n *stateNode) string {
	in := c.podInfoOf(pod)
	if len(in.affTerms) == 0 {
		return ""
	}
	ac := c.affinityCountsFor(in)
	exist := true
	for _, t := range in.affTerms {
		v, ok := n.labels()[t.key]
		if !ok {
			return fmt.Sprintf("node has no %s label, required by a pod affinity term", t.key)
		}
		if ac.counts[topologyPair{t.key, v}] <= 0 {
			exist = false
		}
	}
	if exist {
		return ""
	}
	if ac.total == 0 && selfMatchesAll(in.affTerms, pod) {
		return ""
	}
	return fmt.Sprintf("no pod matching its required affinity terms %v is in the node's domains", termIDs(in.affTerms))
}

// selfMatchesAll reports whether the pod matches every one of its own terms (the bootstrap condition).
func selfMatchesAll(terms []*podTerm, pod *corev1.Pod) bool {
	for _, t := range terms {
		if !t.matchesPod(pod) {
			return false
		}
	}
	return true
}

// termIDs lists terms for messages.
func termIDs(terms []*podTerm) []string {
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = fmt.Sprintf("{%s over %s}", t.sel, t.key)
	}
	return out
}

// antiCounts counts, per topology value, the pods of the final state a term selects: all of them and those
// the plan placed.
type antiCounts struct {
	all, placed map[string]int
}

// antiCountsFor computes the counts of one anti-affinity term over the final state.
func (c *planChecker) antiCountsFor(t *podTerm) *antiCounts {
	if ac, ok := c.antiMemo[t]; ok {
		return ac
	}
	ac := &antiCounts{all: map[string]int{}, placed: map[string]int{}}
	for _, q := range c.pods {
		v, ok := q.node.labels()[t.key]
		if !ok || !c.selects(t, q.class) {
			continue
		}
		ac.all[v]++
		if q.placed {
			ac.placed[v]++
		}
	}
	c.antiMemo[t] = ac
	return ac
}

// antiGroup is the topology values where pods holding one required anti-affinity term sit.
type antiGroup struct {
	term   *podTerm
	values map[string]bool
}

// antiGroupsOf collects (once) the anti-affinity terms of every pod of the final state.
func (c *planChecker) antiGroupsOf() []*antiGroup {
	if c.antiGroups != nil {
		return c.antiGroups
	}
	byTerm := map[*podTerm]*antiGroup{}
	c.antiGroups = []*antiGroup{}
	for _, q := range c.pods {
		for _, t := range c.podInfoOf(q.pod).antiTerms {
			v, ok := q.node.labels()[t.key]
			if !ok {
				continue
			}
			g := byTerm[t]
			if g == nil {
				g = &antiGroup{term: t, values: map[string]bool{}}
				byTerm[t] = g
				c.antiGroups = append(c.antiGroups, g)
			}
			g.values[v] = true
		}
	}
	return c.antiGroups
}

// antiAffinityFit applies the InterPodAffinity filter's anti-affinity parts for an unplaced pod on n: its own
// terms against the final state, and the final state's pods' terms against it.
func (c *planChecker) antiAffinityFit(pod *corev1.Pod, n *stateNode) string {
	in := c.podInfoOf(pod)
	for _, t := range in.antiTerms {
		v, ok := n.labels()[t.key]
		if ok && c.antiCountsFor(t).all[v] > 0 {
			return fmt.Sprintf("its anti-affinity term {%s over %s} selects pods in domain %s", t.sel, t.key, v)
		}
	}
	for _, g := range c.antiGroupsOf() {
		v, ok := n.labels()[g.term.key]
		if ok && g.values[v] && g.term.matchesPod(pod) {
			return fmt.Sprintf("a pod in domain %s=%s has an anti-affinity term {%s} selecting it", g.term.key, v, g.term.sel)
		}
	}
	return ""
}

// usedOn returns (once) the total requests of the pods on n in the final state.
