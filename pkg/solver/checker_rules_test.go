package solver_test

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

func (c *planChecker) checkCapacity() {
	for _, n := range c.nodes {
		placed, used := corev1.ResourceList{}, c.usedOn(n)
		hasPlaced := false
		for _, q := range n.pods {
			if q.placed {
				addTo(placed, c.podInfoOf(q.pod).requests)
				hasPlaced = true
			}
		}
		if !hasPlaced {
			continue
		}
		if maxPods := n.alloc[corev1.ResourcePods]; int64(len(n.pods)) > maxPods.Value() {
			c.add(ruleCapacity, "%s holds %d pods, its limit is %s", nodeDesc(n), len(n.pods), maxPods.String())
		}
		for _, name := range sortedResourceNames(placed) {
			if q := placed[name]; name == corev1.ResourcePods || q.Sign() <= 0 {
				continue
			}
			total, limit := used[name], n.alloc[name]
			if total.Cmp(limit) > 0 {
				c.add(ruleCapacity, "%s: pods request %s %s, it offers %s", nodeDesc(n), name, total.String(), limit.String())
			}
		}
	}
}

// checkHostPorts verifies that no placed pod shares a host port with another pod on its node.
func (c *planChecker) checkHostPorts() {
	for _, n := range c.nodes {
		for i, a := range n.pods {
			for _, b := range n.pods[i+1:] {
				if !a.placed && !b.placed {
					continue
				}
				for _, pa := range c.podInfoOf(a.pod).ports {
					for _, pb := range c.podInfoOf(b.pod).ports {
						if pa.conflicts(pb) {
							c.add(ruleHostPorts, "%s: pods %s and %s both use host port %s/%d", nodeDesc(n), podName(a.pod), podName(b.pod), pa.protocol, pa.port)
						}
					}
				}
			}
		}
	}
}

// checkPlacedPods verifies node affinity, taints, volumes and topology spread for every placed pod.
func (c *planChecker) checkPlacedPods() {
	for _, q := range c.pods {
		if !q.placed {
			continue
		}
		if why := c.nodeAffinityFit(q.pod, q.node); why != "" {
			c.add(ruleNodeAffinity, "pod %s on %s: %s %v", podName(q.pod), nodeDesc(q.node), why, q.node.labels())
		}
		if why := taintFit(q.pod, q.node); why != "" {
			c.add(ruleTaints, "pod %s on %s: %s", podName(q.pod), nodeDesc(q.node), why)
		}
		if why := c.volumeFit(q.pod, q.node); why != "" {
			c.add(ruleVolumes, "pod %s on %s: %s %v", podName(q.pod), nodeDesc(q.node), why, q.node.labels())
		}
		if why := c.spreadFit(q.pod, q.node, q); why != "" {
			rule := ruleSpread
			if c.spreadCrossesWorkloads(q.pod) {
				rule = ruleSpreadCross
			}
			c.add(rule, "pod %s on %s: %s", podName(q.pod), nodeDesc(q.node), why)
		}
	}
}

// spreadCrossesWorkloads reports whether one of the pod's hard spread constraints counts placed pods that do
// not carry the same constraint. Then "placing it last" depends on the order the kube-scheduler binds the
// pods in: the violation is real if the other pods bind first, and the rule is reported apart.
func (c *planChecker) spreadCrossesWorkloads(pod *corev1.Pod) bool {
	for _, st := range c.podInfoOf(pod).spreads {
		if cross, ok := c.crossMemo[st.term]; ok {
			if cross {
				return true
			}
			continue
		}
		cross := false
		for _, q := range c.pods {
			if q.placed && c.selects(st.term, q.class) && !slices.ContainsFunc(c.podInfoOf(q.pod).spreads, func(o spreadTerm) bool { return o.term == st.term }) {
				cross = true
				break
			}
		}
		c.crossMemo[st.term] = cross
		if cross {
			return true
		}
	}
	return false
}

// checkPodAffinity verifies required pod affinity with a scheduling order: existing pods and placed pods
// without required affinity first, then placed pods as the pods already admitted satisfy their terms, one
// self-affinity bootstrap at a time when nothing else can be admitted.
func (c *planChecker) checkPodAffinity() {
	var waiting []*statePod
	admitted := map[string]*affinityCounts{} // by affinity signature: counts over admitted pods
	sigTerms := map[string][]*podTerm{}
	for _, q := range c.pods {
		if in := c.podInfoOf(q.pod); q.placed && len(in.affTerms) > 0 {
			waiting = append(waiting, q)
			if _, ok := admitted[in.affSig]; !ok {
				admitted[in.affSig] = &affinityCounts{counts: map[topologyPair]int{}}
				sigTerms[in.affSig] = in.affTerms
			}
		}
	}
	if len(waiting) == 0 {
		return
	}
	admit := func(q *statePod) {
		for sig, ac := range admitted {
			terms := sigTerms[sig]
			if !c.selectsAll(terms, q.class) {
				continue
			}
			for _, t := range terms {
				if v, ok := q.node.labels()[t.key]; ok {
					ac.counts[topologyPair{t.key, v}]++
					ac.total++
				}
			}
		}
	}
	done := map[*statePod]bool{}
	for _, q := range c.pods {
		if !q.placed || len(c.podInfoOf(q.pod).affTerms) == 0 {
			admit(q)
		}
	}
	supported := func(q *statePod) bool {
		in := c.podInfoOf(q.pod)
		ac := admitted[in.affSig]
		for _, t := range in.affTerms {
			v, ok := q.node.labels()[t.key]
			if !ok || ac.counts[topologyPair{t.key, v}] <= 0 {
				return false
			}
		}
		return true
	}
	for {
		progress := false
		for _, q := range waiting {
			if !done[q] && supported(q) {
				done[q], progress = true, true
				admit(q)
			}
		}
		if progress {
			continue
		}
		// Nothing is supported: bootstrap the pod whose domains hold the most waiting pods like it.
		var best *statePod
		bestScore := -1
		for _, q := range waiting {
			in := c.podInfoOf(q.pod)
			if done[q] || admitted[in.affSig].total > 0 || !selfMatchesAll(in.affTerms, q.pod) || !hasKeys(q.node, in.affTerms) {
				continue
			}
			score := 0
			for _, o := range waiting {
				if !done[o] && c.podInfoOf(o.pod).affSig == in.affSig && sameDomains(o.node, q.node, in.affTerms) {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = q, score
			}
		}
		if best == nil {
			break
		}
		done[best] = true
		admit(best)
	}
	for _, q := range waiting {
		if done[q] {
			continue
		}
		in := c.podInfoOf(q.pod)
		domains := make([]string, 0, len(in.affTerms))
		for _, t := range in.affTerms {
			domains = append(domains, t.key+"="+q.node.labels()[t.key])
		}
		c.add(rulePodAffinity, "pod %s on %s: no order admits it: required affinity terms %v have no matching pod in its domains %v (counts over the final state %v)",
			podName(q.pod), nodeDesc(q.node), termIDs(in.affTerms), domains, c.affinityCountsFor(in).counts)
	}
}

// hasKeys reports whether n carries every term's topology key.
func hasKeys(n *stateNode, terms []*podTerm) bool {
	for _, t := range terms {
		if _, ok := n.labels()[t.key]; !ok {
			return false
		}
	}
	return true
}

// sameDomains reports whether a and b share every term's topology value.
func sameDomains(a, b *stateNode, terms []*podTerm) bool {
	for _, t := range terms {
		if a.labels()[t.key] != b.labels()[t.key] {
			return false
		}
	}
	return true
}

// checkAntiAffinity verifies that no two pods of the final state, at least one placed by the plan, share a
// topology domain where one's required anti-affinity term selects the other.
func (c *planChecker) checkAntiAffinity() {
	for _, q := range c.pods {
		for _, t := range c.podInfoOf(q.pod).antiTerms {
			v, ok := q.node.labels()[t.key]
			if !ok {
				continue
			}
			ac := c.antiCountsFor(t)
			self := 0
			if c.selects(t, q.class) {
				self = 1
			}
			conflict := (q.placed && ac.all[v]-self > 0) || (!q.placed && ac.placed[v] > 0)
			if !conflict {
				continue
			}
			var other *statePod
			for _, o := range c.pods {
				if w, has := o.node.labels()[t.key]; has && w == v && o != q && (q.placed || o.placed) && c.selects(t, o.class) {
					other = o
					break
				}
			}
			if other == nil {
				continue
			}
			c.add(ruleAntiAffinity, "pod %s on %s has anti-affinity {%s over %s} against pod %s on %s (domain %s)",
				podName(q.pod), nodeDesc(q.node), t.sel, t.key, podName(other.pod), nodeDesc(other.node), v)
		}
	}
}

// checkLimits verifies that each pool's usage plus its new claims' capacity stays within its limits.
func (c *planChecker) checkLimits() {
	for _, np := range c.s.NodePools {
		claims := 0
		for _, n := range c.nodes {
			if n.claim != nil && n.pool == np {
				claims++
			}
		}
		if claims == 0 {
			continue
		}
		used := c.poolUsed(np)
		for _, name := range sortedResourceNames(np.NodePool.Spec.Limits) {
			limit, total := np.NodePool.Spec.Limits[name], used[name]
			if total.Cmp(limit) > 0 {
				c.add(ruleLimits, "pool %s: usage %s plus %d new claims reaches %s %s, its limit is %s",
					np.NodePool.Name, quantityOf(np.Usage, name), claims, name, total.String(), limit.String())
			}
		}
	}
}

// quantityOf prints a resource of a list.
func quantityOf(l corev1.ResourceList, name corev1.ResourceName) string {
	q := l[name]
	return q.String()
}

// fullFit applies every rule to an unplaced pod on n of the final state (or the fresh node), placed last.
func (c *planChecker) fullFit(pod *corev1.Pod, n *stateNode) string {
	in := c.podInfoOf(pod)
	if why := fits(in.requests, c.usedOn(n), len(n.pods), n.alloc); why != "" {
		return why
	}
	if why := c.nodeAffinityFit(pod, n); why != "" {
		return why
	}
	if why := taintFit(pod, n); why != "" {
		return why
	}
	if why := c.portFit(pod, n); why != "" {
		return why
	}
	if why := c.volumeFit(pod, n); why != "" {
		return why
	}
	return c.topologyFit(pod, n)
}

// topologyFit applies topology spread, pod affinity and pod anti-affinity for an unplaced pod on n.
func (c *planChecker) topologyFit(pod *corev1.Pod, n *stateNode) string {
	if why := c.spreadFit(pod, n, nil); why != "" {
		return why
	}
	if why := c.affinityFit(pod, n); why != "" {
		return why
	}
	return c.antiAffinityFit(pod, n)
}

// checkUnschedulable verifies that no unschedulable pod fits anywhere: on a node of the final state or alone
// on a fresh node of a pool whose limits admit one more node.
func (c *planChecker) checkUnschedulable() {
	seen := map[string]bool{}
	for _, u := range c.p.Unschedulable {
		pod := c.pending[u.Pod]
		if pod == nil {
			continue
		}
		// Replicas of one template share namespace, labels (pod-template-hash included), node selection and
		// tolerations, and differ at most in their volumes' claims: one representative each.
		key := fmt.Sprintf("%d|%s|%s|%s", c.labelClass(pod), volumesKey(pod), nodeAffinityKey(pod), tolerationsKey(pod.Spec.Tolerations))
		if seen[key] {
			continue
		}
		seen[key] = true
		if where := c.placeFor(pod); where != "" {
			c.add(ruleUnschedulable, "pod %s is unschedulable (%q) but fits on %s", u.Pod, u.Reason, where)
		}
	}
}

// volumesKey lists the claims a pod mounts.
func volumesKey(pod *corev1.Pod) string {
	var b strings.Builder
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			b.WriteString(v.PersistentVolumeClaim.ClaimName + ";")
		}
	}
	return b.String()
}

// placeFor returns a description of where the pod fits, or "".
func (c *planChecker) placeFor(pod *corev1.Pod) string {
	for _, n := range c.nodes {
		if c.fullFit(pod, n) == "" {
			return nodeDesc(n)
		}
	}
	in := c.podInfoOf(pod)
	for _, np := range c.s.NodePools {
		taints := v1.CoreTaints(np.NodePool.Spec.Template.Spec.Taints)
		if _, bad := untolerated(pod, taints); bad {
			continue
		}
		used := c.poolUsed(np)
		topo := map[string]string{} // topology verdict by the fresh node's values of the keys that matter
		for _, it := range np.InstanceTypes {
			if fits(in.requests, corev1.ResourceList{}, 0, c.available(it)) != "" || !c.limitsAdmit(np, used, it) {
				continue
			}
			for _, o := range it.Offerings {
				if !o.Available {
					continue
				}
				n := c.freshNode(pod, np, it, o, taints)
				if n == nil || c.volumeFit(pod, n) != "" {
					continue
				}
				key := c.topologyValues(pod, n)
				verdict, ok := topo[key]
				if !ok {
					verdict = c.topologyFit(pod, n)
					topo[key] = verdict
				}
				if verdict == "" && c.minValuesMet(pod, np, o, taints) {
					return nodeDesc(n)
				}
			}
		}
	}
	return ""
}

// minValuesMet reports whether the pool offers enough distinct values of each minValues key among the
// instance types that could run the pod alone in the offering's zone and capacity type: a claim with fewer
// may not launch.
func (c *planChecker) minValuesMet(pod *corev1.Pod, np *solver.NodePool, o cloudprovider.Offering, taints []corev1.Taint) bool {
	in := c.podInfoOf(pod)
	for _, r := range np.NodePool.Spec.Template.Spec.Requirements {
		if r.MinValues == nil {
			continue
		}
		values := map[string]bool{}
		for _, it := range np.InstanceTypes {
			if _, ok := offeringPrice(it, o.Zone, o.CapacityType); !ok || !fitsQuickly(in.requests, nil, 0, c.available(it)) {
				continue
			}
			if n := c.freshNode(pod, np, it, o, taints); n != nil {
				if v, has := n.labels()[r.Key]; has {
					values[v] = true
				}
			}
		}
		if len(values) < *r.MinValues {
			return false
		}
	}
	return true
}

// topologyValues returns n's values of every topology key the pod's constraints, or any anti-affinity term of
// the final state, look at: the fresh nodes with equal values get the same topology verdict.
func (c *planChecker) topologyValues(pod *corev1.Pod, n *stateNode) string {
	in := c.podInfoOf(pod)
	var b strings.Builder
	put := func(k string) {
		v, ok := n.labels()[k]
		fmt.Fprintf(&b, "%s=%s/%v;", k, v, ok)
	}
	for _, st := range in.spreads {
		put(st.c.TopologyKey)
	}
	for _, t := range in.affTerms {
		put(t.key)
	}
	for _, t := range in.antiTerms {
		put(t.key)
	}
	for _, g := range c.antiGroupsOf() {
		put(g.term.key)
	}
	return b.String()
}

// freshNode returns a fresh node of the pool, type and offering labelled so that the pod's node affinity and
// the pool's requirements hold, choosing values for the pool's own label keys, or nil when none does.
func (c *planChecker) freshNode(pod *corev1.Pod, np *solver.NodePool, it *cloudprovider.InstanceType, o cloudprovider.Offering, taints []corev1.Taint) *stateNode {
	tl := c.typeLabelsOf(it)
	lbls := make(map[string]string, len(tl.present)+8)
	for k, v := range tl.present {
		lbls[k] = v
	}
	lbls[corev1.LabelTopologyZone] = o.Zone
	lbls[v1.CapacityTypeLabelKey] = o.CapacityType
	lbls[corev1.LabelHostname] = freshHostname
	lbls[v1.NodePoolLabelKey] = np.NodePool.Name
	for k, v := range np.NodePool.Spec.Template.ObjectMeta.Labels {
		lbls[k] = string(v)
	}
	var free []string
	for _, r := range np.NodePool.Spec.Template.Spec.Requirements {
		if _, fixed := lbls[r.Key]; !fixed && !tl.absent[r.Key] && !slices.Contains(free, r.Key) {
			free = append(free, r.Key)
		}
	}
	candidates := make([][]string, len(free))
	for i, k := range free {
		candidates[i] = labelCandidates(k, np, pod)
	}
	in := c.podInfoOf(pod)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: freshHostname, Labels: lbls}, Spec: corev1.NodeSpec{Taints: taints}}
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(free) {
			ok, err := in.affinity.Match(node)
			return err == nil && ok && c.poolAdmits(np, lbls)
		}
		for _, v := range candidates[i] {
			if v == "" {
				delete(lbls, free[i])
			} else {
				lbls[free[i]] = v
			}
			if try(i + 1) {
				return true
			}
		}
		return false
	}
	if !try(0) {
		return nil
	}
	return &stateNode{idx: -1, name: freshHostname, node: node, alloc: c.available(it), pool: np, it: it, fresh: true}
}

// labelCandidates lists values worth trying for a label the pool sets freely: the values its requirement and
// the pod's constraints mention, neighbours of numeric bounds, an unrelated value, and absence ("").
func labelCandidates(key string, np *solver.NodePool, pod *corev1.Pod) []string {
	set := map[string]bool{"": true, "checker-any-value": true}
	addValues := func(op corev1.NodeSelectorOperator, values []string) {
		for _, v := range values {
			set[v] = true
			if op == corev1.NodeSelectorOpGt || op == corev1.NodeSelectorOpLt {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					set[strconv.FormatInt(n+1, 10)] = true
					set[strconv.FormatInt(n-1, 10)] = true
				}
			}
		}
	}
	for _, r := range np.NodePool.Spec.Template.Spec.Requirements {
		if r.Key == key {
			addValues(r.Operator, r.Values)
		}
	}
	if v, ok := pod.Spec.NodeSelector[key]; ok {
		set[v] = true
	}
	if ns := nodeAffinityOnly(pod); ns != nil {
		for _, term := range ns.NodeSelectorTerms {
			for _, e := range term.MatchExpressions {
				if e.Key == key {
					addValues(e.Operator, e.Values)
				}
			}
		}
	}
	return sortedKeys(set)
}

// checkPrice verifies the plan's price and lower bound.
func (c *planChecker) checkPrice() {
	total := 0.0
	for _, nc := range c.p.NewNodeClaims {
		if nc != nil {
			total += nc.PricePerHour
		}
	}
	if math.Abs(total-c.p.PricePerHour) > priceEpsilon*max(1, total) {
		c.add(rulePrice, "plan price %v, but its claims cost %v", c.p.PricePerHour, total)
	}
	if c.p.LowerBoundPricePerHour > c.p.PricePerHour+priceEpsilon {
		c.add(rulePrice, "lower bound %v exceeds the plan's price %v", c.p.LowerBoundPricePerHour, c.p.PricePerHour)
	}
	if c.p.LowerBoundPricePerHour < -priceEpsilon || math.IsNaN(c.p.LowerBoundPricePerHour) {
		c.add(rulePrice, "lower bound %v is negative or NaN", c.p.LowerBoundPricePerHour)
	}
}
