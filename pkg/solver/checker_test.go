package solver_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	resourcehelper "k8s.io/component-helpers/resource"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// The checker below validates a Plan against its Snapshot from the Kubernetes scheduling rules, sharing no
// code with the solver: node selection through k8s.io/component-helpers (nodeaffinity, taints, pod requests),
// pod selection through label selectors, and its own arithmetic for resources, limits, topology spread and
// inter-pod affinity. pkg/scheduling is used only to read the requirements the snapshot and plan carry
// (an instance type's single-valued labels, a claim's Requirements).
//
// The "final state" is every existing node and in-flight claim with its bound pods plus the pods the plan
// places there, and every new NodeClaim (as the node it becomes: its Labels, a unique hostname, the
// stevedore.dev/nodepool label, and the pool's template taints; startup taints never block) with its pods.
// Interpretations, where Kubernetes or the Plan's documentation leaves room:
//
//   - Topology spread (whenUnsatisfiable DoNotSchedule only) is checked as "placing this pod last": the pod's
//     own contribution is taken out of the final counts and the kube-scheduler's filter is applied. Domains
//     are the topology values of the final state's nodes that pass the constraint's node inclusion policies
//     (nodeAffinityPolicy Honor and nodeTaintsPolicy Ignore by default) and carry every hard constraint's
//     key, exactly the nodes the kube-scheduler would see once the claims have registered. Zones that a pool
//     could launch into but where no node exists are not domains, as for the kube-scheduler. For one
//     constraint per pod this is the same as "some scheduling order satisfies every pod". When the selector
//     also counts placed pods without that constraint (another workload), whether the pod could bind depends
//     on the order the kube-scheduler binds them in; such violations are reported as topology-spread-cross.
//     Pods without constraints get Options.DefaultTopologySpreadConstraints with a selector of the pod's
//     labels.
//   - Required pod affinity is checked with an order: existing pods and pods without required affinity come
//     first; a placed pod is then admitted when each term's domain already holds an admitted pod matching all
//     its terms, or, when no admitted pod on a node with the term's key matches them, as the self-affinity
//     bootstrap (the pod matches its own terms). Only one domain can bootstrap, so identical self-affine pods
//     spread over two domains are reported, which "placing last" alone would miss.
//   - Required pod anti-affinity is order independent and checked on every pair of pods on nodes sharing the
//     topology value, in both directions, whenever at least one of the two was placed by the plan.
//   - Namespace selectors in affinity terms: the empty selector selects every namespace; a non-empty one
//     cannot be evaluated (the snapshot has no namespace labels) and selects only the listed namespaces.
//     matchLabelKeys of affinity terms are taken as already merged into the selector by the API server.
//   - A claim's Labels must satisfy its pool's requirements and its own Requirements, and carry the pool's
//     template labels and every single-valued label of its instance type. Its options must carry at least
//     minValues distinct values of each minValues key, so a claim cannot exist without them; minValues wins
//     over MaxInstanceTypeOptions. Its type must be the cheapest one of the pool that runs all its pods in
//     the same zone and capacity type within the limits, unless the cheaper one loses a preferred node
//     affinity term a pod now enjoys (the solver honours preferences unless told to ignore them).
//   - An unschedulable pod must have no place: on no node of the final state (placed last there) and on no
//     fresh node of any pool, instance type and available offering the pool's limits still admit, with every
//     rule above, including spread, affinity and anti-affinity against the final state. Pool requirements on
//     keys the instance type does not define are labels the pool adds, so a fresh node may take any value
//     they allow; the pool's minValues must still be met by the types that could run the pod there. Pods are
//     checked one representative per namespace, labels, volumes, node selection and tolerations, as replicas
//     of one template share them.

// Rules, the first word of every violation, so that failures can be grouped.
const (
	ruleAccounting    = "accounting"
	ruleClaim         = "claim"
	ruleClaimReqs     = "claim-requirements"
	ruleOptions       = "instance-type-options"
	ruleCheapest      = "claim-not-cheapest"
	ruleCapacity      = "capacity"
	ruleNodeAffinity  = "node-affinity"
	ruleTaints        = "taints"
	ruleHostPorts     = "host-ports"
	ruleVolumes       = "volume-topology"
	ruleSpread        = "topology-spread"
	ruleSpreadCross   = "topology-spread-cross"
	rulePodAffinity   = "pod-affinity"
	ruleAntiAffinity  = "pod-anti-affinity"
	ruleLimits        = "nodepool-limits"
	ruleUnschedulable = "unschedulable"
	rulePrice         = "price"
)

const (
	// maxReported bounds how many violations checkPlan prints; violations returns them all.
	maxReported = 25
	// priceEpsilon absorbs floating-point noise in price sums.
	priceEpsilon = 1e-9
	// defaultMaxOptions is the solver's documented default for Options.MaxInstanceTypeOptions.
	defaultMaxOptions = 60
	// freshHostname names the hypothetical node the unschedulable check tries.
	freshHostname = "checker-fresh-node"
)

// violation is one broken rule.
type violation struct {
	rule string
	msg  string
}

// String renders the violation as "rule: details".
func (v violation) String() string { return v.rule + ": " + v.msg }

// checkPlan fails t with every rule p breaks against s.
func checkPlan(t testing.TB, s *solver.Snapshot, p *solver.Plan) {
	t.Helper()
	vs := violations(s, p)
	for i, v := range vs {
		if i == maxReported {
			t.Errorf("... and %d more violations", len(vs)-i)
			break
		}
		t.Error(v)
	}
}

// violations returns every rule p breaks against s, each as "rule: details".
func violations(s *solver.Snapshot, p *solver.Plan) []string {
	vs := checkViolations(s, p)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// checkViolations runs every check.
func checkViolations(s *solver.Snapshot, p *solver.Plan) []violation {
	if p == nil {
		return []violation{{ruleAccounting, "Solve returned a nil plan"}}
	}
	c := newPlanChecker(s, p)
	c.checkAccounting()
	c.buildFinalState()
	c.checkClaims()
	c.checkCapacity()
	c.checkHostPorts()
	c.checkPlacedPods()
	c.checkPodAffinity()
	c.checkAntiAffinity()
	c.checkLimits()
	c.checkUnschedulable()
	c.checkPrice()
	return c.out
}

// planChecker holds the snapshot's indexes, the final state and caches of derived facts.
type planChecker struct {
	s   *solver.Snapshot
	p   *solver.Plan
	out []violation

	pending   map[types.NamespacedName]*corev1.Pod
	pendingNN []types.NamespacedName
	pools     map[string]*solver.NodePool
	pvcs      map[types.NamespacedName]*corev1.PersistentVolumeClaim
	pvs       map[string]*corev1.PersistentVolume
	classes   map[string]*storagev1.StorageClass

	existing map[string]*solver.Node
	// placements maps pending pods to the existing node name or the index of the new claim they go to.
	placedExisting map[types.NamespacedName]string
	placedNew      map[types.NamespacedName]int

	nodes      []*stateNode
	pods       []*statePod
	claimNodes map[int]*stateNode

	labelClasses []labels.Set
	labelClassNS []string
	labelClassID map[string]int

	info       map[*corev1.Pod]*podInfo
	terms      map[string]*podTerm
	termClass  map[termClassKey]bool
	spreadMemo map[string]*spreadCounts
	affMemo    map[string]*affinityCounts
	antiMemo   map[*podTerm]*antiCounts
	antiGroups []*antiGroup
	typeLbls   map[*cloudprovider.InstanceType]typeLabelSet
	crossMemo  map[*podTerm]bool
	nodeAff    map[string]nodeaffinity.RequiredNodeAffinity
	selectors  map[string]labels.Selector
	avail      map[*cloudprovider.InstanceType]corev1.ResourceList
	pvSel      map[*corev1.PersistentVolume]*nodeaffinity.NodeSelector
	used       map[*solver.NodePool]corev1.ResourceList
}

// stateNode is a node of the final state, or the hypothetical fresh node of the unschedulable check.
type stateNode struct {
	idx   int
	name  string
	node  *corev1.Node
	alloc corev1.ResourceList
	used  corev1.ResourceList
	pods  []*statePod
	claim *solver.NewNodeClaim
	// distinct is one pod per distinct node affinity, for claims.
	distinct []*statePod
	pool     *solver.NodePool
	it       *cloudprovider.InstanceType
	fresh    bool
}

// labels returns the node's labels.
func (n *stateNode) labels() map[string]string { return n.node.Labels }

// statePod is a pod of the final state.
type statePod struct {
	pod    *corev1.Pod
	node   *stateNode
	placed bool
	class  int
}

// podInfo is what the checker derives once per pod.
type podInfo struct {
	requests  corev1.ResourceList
	affinity  nodeaffinity.RequiredNodeAffinity
	spreads   []spreadTerm
	eligSig   string
	affTerms  []*podTerm
	affSig    string
	antiTerms []*podTerm
	ports     []hostPort
}

// podTerm selects pods: a label selector over namespaces, applied over a topology key.
type podTerm struct {
	id    string
	key   string
	sel   labels.Selector
	allNS bool
	ns    map[string]bool
}

// matchesPod reports whether the term selects pod.
func (t *podTerm) matchesPod(pod *corev1.Pod) bool {
	return (t.allNS || t.ns[pod.Namespace]) && t.sel.Matches(labels.Set(pod.Labels))
}

// termClassKey caches whether a term selects a label class.
type termClassKey struct {
	term  *podTerm
	class int
}

// spreadTerm is a DoNotSchedule topology spread constraint with its selector resolved.
type spreadTerm struct {
	c    corev1.TopologySpreadConstraint
	term *podTerm
}

// hostPort is one host port a container asks for.
type hostPort struct {
	protocol corev1.Protocol
	ip       string
	port     int32
}

// conflicts reports whether two host ports cannot share a node (the NodePorts filter).
func (h hostPort) conflicts(o hostPort) bool {
	if h.port != o.port || h.protocol != o.protocol {
		return false
	}
	wild := func(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }
	return h.ip == o.ip || wild(h.ip) || wild(o.ip)
}

// newPlanChecker indexes the snapshot.
func newPlanChecker(s *solver.Snapshot, p *solver.Plan) *planChecker {
	c := &planChecker{
		s: s, p: p,
		pending:        map[types.NamespacedName]*corev1.Pod{},
		pools:          map[string]*solver.NodePool{},
		pvcs:           map[types.NamespacedName]*corev1.PersistentVolumeClaim{},
		pvs:            map[string]*corev1.PersistentVolume{},
		classes:        map[string]*storagev1.StorageClass{},
		existing:       map[string]*solver.Node{},
		placedExisting: map[types.NamespacedName]string{},
		placedNew:      map[types.NamespacedName]int{},
		claimNodes:     map[int]*stateNode{},
		labelClassID:   map[string]int{},
		info:           map[*corev1.Pod]*podInfo{},
		terms:          map[string]*podTerm{},
		termClass:      map[termClassKey]bool{},
		spreadMemo:     map[string]*spreadCounts{},
		affMemo:        map[string]*affinityCounts{},
		antiMemo:       map[*podTerm]*antiCounts{},
		typeLbls:       map[*cloudprovider.InstanceType]typeLabelSet{},
		crossMemo:      map[*podTerm]bool{},
		nodeAff:        map[string]nodeaffinity.RequiredNodeAffinity{},
		selectors:      map[string]labels.Selector{},
		avail:          map[*cloudprovider.InstanceType]corev1.ResourceList{},
		pvSel:          map[*corev1.PersistentVolume]*nodeaffinity.NodeSelector{},
		used:           map[*solver.NodePool]corev1.ResourceList{},
	}
	for _, pod := range s.Pods {
		nn := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
		if _, dup := c.pending[nn]; dup {
			c.add(ruleAccounting, "snapshot has pending pod %s twice", nn)
		}
		c.pending[nn] = pod
		c.pendingNN = append(c.pendingNN, nn)
	}
	for _, np := range s.NodePools {
		c.pools[np.NodePool.Name] = np
	}
	for _, pvc := range s.PersistentVolumeClaims {
		c.pvcs[types.NamespacedName{Namespace: pvc.Namespace, Name: pvc.Name}] = pvc
	}
	for _, pv := range s.PersistentVolumes {
		c.pvs[pv.Name] = pv
	}
	for _, sc := range s.StorageClasses {
		c.classes[sc.Name] = sc
	}
	for _, n := range s.Nodes {
		c.existing[n.Name] = n
	}
	return c
}

// add records a violation.
func (c *planChecker) add(rule, format string, args ...any) {
	c.out = append(c.out, violation{rule: rule, msg: fmt.Sprintf(format, args...)})
}

// checkAccounting verifies that every pending pod is in the plan exactly once and nothing else is.
func (c *planChecker) checkAccounting() {
	seen := map[types.NamespacedName]string{}
	note := func(nn types.NamespacedName, where string) bool {
		if _, ok := c.pending[nn]; !ok {
			c.add(ruleAccounting, "%s lists pod %s, which is not a pending pod of the snapshot", where, nn)
			return false
		}
		if prev, ok := seen[nn]; ok {
			c.add(ruleAccounting, "pod %s appears twice: %s and %s", nn, prev, where)
			return false
		}
		seen[nn] = where
		return true
	}
	for _, e := range c.p.Existing {
		if _, ok := c.existing[e.Node]; !ok {
			c.add(ruleAccounting, "existing placement names node %q, which is not in the snapshot", e.Node)
			for _, nn := range e.Pods {
				note(nn, "unknown node "+e.Node)
			}
			continue
		}
		for _, nn := range e.Pods {
			if note(nn, "existing node "+e.Node) {
				c.placedExisting[nn] = e.Node
			}
		}
	}
	for i, nc := range c.p.NewNodeClaims {
		if nc == nil {
			c.add(ruleAccounting, "new claim %d is nil", i)
			continue
		}
		for _, nn := range nc.Pods {
			if note(nn, fmt.Sprintf("new claim %d (%s/%s)", i, nc.NodePool, nc.InstanceType)) {
				c.placedNew[nn] = i
			}
		}
	}
	for _, u := range c.p.Unschedulable {
		note(u.Pod, "unschedulable")
		if strings.TrimSpace(u.Reason) == "" {
			c.add(ruleAccounting, "unschedulable pod %s has no reason", u.Pod)
		}
	}
	for _, nn := range c.pendingNN {
		if _, ok := seen[nn]; !ok {
			c.add(ruleAccounting, "pending pod %s is neither placed nor unschedulable", nn)
		}
	}
}

// buildFinalState lays out every node of the final state with its pods.
func (c *planChecker) buildFinalState() {
	byName := map[string]*stateNode{}
	for _, n := range c.s.Nodes {
		sn := &stateNode{idx: len(c.nodes), name: n.Name, alloc: n.Allocatable, node: &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels},
			Spec:       corev1.NodeSpec{Taints: n.Taints},
		}}
		if sn.node.Labels == nil {
			sn.node.Labels = map[string]string{}
		}
		c.nodes = append(c.nodes, sn)
		byName[n.Name] = sn
		for _, pod := range n.Pods {
			c.addPod(pod, sn, false)
		}
	}
	for _, e := range c.p.Existing {
		sn := byName[e.Node]
		if sn == nil {
			continue
		}
		for _, nn := range e.Pods {
			if c.placedExisting[nn] == e.Node {
				c.addPod(c.pending[nn], sn, true)
			}
		}
	}
	for i, nc := range c.p.NewNodeClaims {
		if nc == nil {
			continue
		}
		name := fmt.Sprintf("new-claim-%d", i)
		lbls := make(map[string]string, len(nc.Labels)+2)
		for k, v := range nc.Labels {
			lbls[k] = v
		}
		lbls[corev1.LabelHostname] = name
		if _, ok := lbls[v1.NodePoolLabelKey]; !ok {
			lbls[v1.NodePoolLabelKey] = nc.NodePool
		}
		sn := &stateNode{idx: len(c.nodes), name: name, claim: nc, alloc: corev1.ResourceList{}}
		var taints []corev1.Taint
		if pool := c.pools[nc.NodePool]; pool != nil {
			sn.pool = pool
			taints = v1.CoreTaints(pool.NodePool.Spec.Template.Spec.Taints)
			sn.it = findType(pool, nc.InstanceType)
			if sn.it != nil {
				sn.alloc = c.available(sn.it)
			}
		}
		sn.node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}, Spec: corev1.NodeSpec{Taints: taints}}
		c.nodes = append(c.nodes, sn)
		c.claimNodes[i] = sn
		for _, nn := range nc.Pods {
			if j, ok := c.placedNew[nn]; ok && j == i {
				c.addPod(c.pending[nn], sn, true)
			}
		}
	}
}

// addPod puts pod on n in the final state.
func (c *planChecker) addPod(pod *corev1.Pod, n *stateNode, placed bool) {
	sp := &statePod{pod: pod, node: n, placed: placed, class: c.labelClass(pod)}
	n.pods = append(n.pods, sp)
	c.pods = append(c.pods, sp)
}

// labelClass returns the index of the pod's namespace and labels among those seen, so that selectors are
// evaluated once per distinct label set.
func (c *planChecker) labelClass(pod *corev1.Pod) int {
	keys := make([]string, 0, len(pod.Labels))
	for k := range pod.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(pod.Namespace)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(pod.Labels[k])
	}
	id, ok := c.labelClassID[b.String()]
	if !ok {
		id = len(c.labelClasses)
		c.labelClassID[b.String()] = id
		c.labelClasses = append(c.labelClasses, labels.Set(pod.Labels))
		c.labelClassNS = append(c.labelClassNS, pod.Namespace)
	}
	return id
}

// selects reports whether term selects the pods of a label class.
func (c *planChecker) selects(t *podTerm, class int) bool {
	k := termClassKey{t, class}
	if v, ok := c.termClass[k]; ok {
		return v
	}
	v := (t.allNS || t.ns[c.labelClassNS[class]]) && t.sel.Matches(c.labelClasses[class])
	c.termClass[k] = v
	return v
}

// findType returns the pool's instance type called name, or nil.
func findType(pool *solver.NodePool, name string) *cloudprovider.InstanceType {
	for _, it := range pool.InstanceTypes {
		if it.Name == name {
			return it
		}
	}
	return nil
}

// podInfoOf derives (once) the pod's requests, node affinity, hard spread constraints, affinity terms and
// host ports.
func (c *planChecker) podInfoOf(pod *corev1.Pod) *podInfo {
	if in, ok := c.info[pod]; ok {
		return in
	}
	in := &podInfo{
		requests: resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{}),
		affinity: c.requiredNodeAffinity(pod),
	}
	constraints := pod.Spec.TopologySpreadConstraints
	if len(constraints) == 0 && len(pod.Labels) > 0 {
		for _, d := range c.s.Options.DefaultTopologySpreadConstraints {
			d.LabelSelector = &metav1.LabelSelector{MatchLabels: pod.Labels}
			constraints = append(constraints, d)
		}
	}
	for _, tsc := range constraints {
		if tsc.WhenUnsatisfiable != corev1.DoNotSchedule {
			continue
		}
		sel := c.selector(tsc.LabelSelector)
		for _, k := range tsc.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				if r, err := labels.NewRequirement(k, selection.In, []string{v}); err == nil {
					sel = sel.Add(*r)
				}
			}
		}
		in.spreads = append(in.spreads, spreadTerm{c: tsc, term: c.internTerm("spread", tsc.TopologyKey, sel, tsc.LabelSelector == nil, false, map[string]bool{pod.Namespace: true})})
	}
	if len(in.spreads) > 0 {
		keys := make([]string, len(in.spreads))
		for i, st := range in.spreads {
			keys[i] = st.c.TopologyKey
		}
		in.eligSig = nodeAffinityKey(pod) + "|" + tolerationsKey(pod.Spec.Tolerations) + "|" + strings.Join(keys, ",")
	}
	if a := pod.Spec.Affinity; a != nil {
		if a.PodAffinity != nil {
			ids := []string{}
			for _, t := range a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
				pt := c.affinityTerm(pod, t)
				in.affTerms = append(in.affTerms, pt)
				ids = append(ids, pt.id)
			}
			in.affSig = strings.Join(ids, "\x01")
		}
		if a.PodAntiAffinity != nil {
			for _, t := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
				in.antiTerms = append(in.antiTerms, c.affinityTerm(pod, t))
			}
		}
	}
	for _, ctr := range pod.Spec.Containers {
		for _, p := range ctr.Ports {
			if p.HostPort <= 0 {
				continue
			}
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			in.ports = append(in.ports, hostPort{protocol: proto, ip: p.HostIP, port: p.HostPort})
		}
	}
	c.info[pod] = in
	return in
}

// requiredNodeAffinity returns the pod's nodeSelector and required node affinity, compiled once per distinct
// content.
func (c *planChecker) requiredNodeAffinity(pod *corev1.Pod) nodeaffinity.RequiredNodeAffinity {
	key := nodeAffinityKey(pod)
	if a, ok := c.nodeAff[key]; ok {
		return a
	}
	a := nodeaffinity.GetRequiredNodeAffinity(pod)
	c.nodeAff[key] = a
	return a
}

// selector returns the label selector compiled once per distinct content; a nil selector selects nothing.
func (c *planChecker) selector(ls *metav1.LabelSelector) labels.Selector {
	key := labelSelectorKey(ls)
	if sel, ok := c.selectors[key]; ok {
		return sel
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		sel = labels.Nothing()
	}
	c.selectors[key] = sel
	return sel
}

// nodeAffinityKey renders the pod's nodeSelector and required node affinity as a cache key.
func nodeAffinityKey(pod *corev1.Pod) string {
	var b strings.Builder
	for _, k := range sortedKeys(pod.Spec.NodeSelector) {
		b.WriteString(k + "=" + pod.Spec.NodeSelector[k] + ";")
	}
	if ns := nodeAffinityOnly(pod); ns != nil {
		b.WriteString("|required")
		for _, t := range ns.NodeSelectorTerms {
			b.WriteString("(")
			for _, e := range t.MatchExpressions {
				b.WriteString(e.Key + " " + string(e.Operator) + " " + strings.Join(e.Values, ",") + ";")
			}
			b.WriteString("/")
			for _, e := range t.MatchFields {
				b.WriteString(e.Key + " " + string(e.Operator) + " " + strings.Join(e.Values, ",") + ";")
			}
			b.WriteString(")")
		}
	}
	return b.String()
}

// tolerationsKey renders tolerations as a cache key.
func tolerationsKey(tolerations []corev1.Toleration) string {
	var b strings.Builder
	for _, t := range tolerations {
		fmt.Fprintf(&b, "%s/%s/%s/%s/%v;", t.Key, t.Operator, t.Value, t.Effect, t.TolerationSeconds != nil)
	}
	return b.String()
}

// labelSelectorKey renders a label selector as a cache key.
func labelSelectorKey(ls *metav1.LabelSelector) string {
	if ls == nil {
		return "nil"
	}
	var b strings.Builder
	for _, k := range sortedKeys(ls.MatchLabels) {
		b.WriteString(k + "=" + ls.MatchLabels[k] + ";")
	}
	for _, e := range ls.MatchExpressions {
		b.WriteString("|" + e.Key + " " + string(e.Operator) + " " + strings.Join(e.Values, ","))
	}
	return b.String()
}

// nodeAffinityOnly returns the pod's required node affinity, the only part of its affinity that decides
// which nodes its spread constraints count.
func nodeAffinityOnly(pod *corev1.Pod) *corev1.NodeSelector {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// affinityTerm resolves a pod (anti-)affinity term of owner.
func (c *planChecker) affinityTerm(owner *corev1.Pod, t corev1.PodAffinityTerm) *podTerm {
	sel := c.selector(t.LabelSelector)
	ns := map[string]bool{}
	for _, n := range t.Namespaces {
		ns[n] = true
	}
	all := t.NamespaceSelector != nil && len(t.NamespaceSelector.MatchLabels) == 0 && len(t.NamespaceSelector.MatchExpressions) == 0
	if len(t.Namespaces) == 0 && t.NamespaceSelector == nil {
		ns[owner.Namespace] = true
	}
	return c.internTerm("affinity", t.TopologyKey, sel, t.LabelSelector == nil, all, ns)
}

// internTerm returns the one podTerm for its content, so that caches can key on it.
func (c *planChecker) internTerm(kind, key string, sel labels.Selector, nilSelector, allNS bool, ns map[string]bool) *podTerm {
	names := make([]string, 0, len(ns))
	for n := range ns {
		names = append(names, n)
	}
	sort.Strings(names)
	id := fmt.Sprintf("%s|%s|nil=%v|all=%v|%v|%s", kind, key, nilSelector, allNS, names, sel.String())
	if t, ok := c.terms[id]; ok {
		return t
	}
	if nilSelector {
		sel = labels.Nothing()
	}
	t := &podTerm{id: id, key: key, sel: sel, allNS: allNS, ns: ns}
	c.terms[id] = t
	return t
}

// untolerated returns the first NoSchedule or NoExecute taint the pod does not tolerate.
func untolerated(pod *corev1.Pod, taints []corev1.Taint) (corev1.Taint, bool) {
	return corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, pod.Spec.Tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}, true)
}

// nodeAffinityFit returns why the pod's nodeSelector or required node affinity rejects n, or "".
func (c *planChecker) nodeAffinityFit(pod *corev1.Pod, n *stateNode) string {
	ok, err := c.podInfoOf(pod).affinity.Match(n.node)
	if err != nil {
		return fmt.Sprintf("node affinity cannot be evaluated: %v", err)
	}
	if !ok {
		return "nodeSelector/required node affinity does not match the node's labels"
	}
	return ""
}

// taintFit returns why n's taints keep the pod off, or "".
func taintFit(pod *corev1.Pod, n *stateNode) string {
	if t, bad := untolerated(pod, n.node.Spec.Taints); bad {
		return fmt.Sprintf("taint %s is not tolerated", t.ToString())
	}
	return ""
}

// volumeFit returns why the pod's persistent volumes cannot be used on n, or "".
func (c *planChecker) volumeFit(pod *corev1.Pod, n *stateNode) string {
	for _, vol := range pod.Spec.Volumes {
		if vol.PersistentVolumeClaim == nil {
			continue
		}
		nn := types.NamespacedName{Namespace: pod.Namespace, Name: vol.PersistentVolumeClaim.ClaimName}
		pvc := c.pvcs[nn]
		if pvc == nil {
			return fmt.Sprintf("persistent volume claim %s does not exist", nn)
		}
		if pvc.Spec.VolumeName != "" {
			pv := c.pvs[pvc.Spec.VolumeName]
			if pv == nil {
				return fmt.Sprintf("claim %s is bound to missing volume %s", nn, pvc.Spec.VolumeName)
			}
			if sel := c.volumeSelector(pv); sel != nil && !sel.Match(n.node) {
				return "volume " + pv.Name + " (claim " + nn.String() + ") node affinity does not match the node's labels"
			}
			continue
		}
		if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName == "" {
			return fmt.Sprintf("unbound claim %s has no storage class", nn)
		}
		sc := c.classes[*pvc.Spec.StorageClassName]
		if sc == nil {
			return fmt.Sprintf("unbound claim %s names missing storage class %s", nn, *pvc.Spec.StorageClassName)
		}
		if sc.VolumeBindingMode == nil || *sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
			return fmt.Sprintf("unbound claim %s uses storage class %s with immediate binding", nn, sc.Name)
		}
		if len(sc.AllowedTopologies) > 0 && !matchTopologyTerms(sc.AllowedTopologies, n.labels()) {
			return "storage class " + sc.Name + " (claim " + nn.String() + ") allowedTopologies exclude the node's labels"
		}
	}
	return ""
}

// volumeSelector returns (once per volume) the volume's required node affinity, nil when it has none, and a
// selector matching nothing when it is malformed.
func (c *planChecker) volumeSelector(pv *corev1.PersistentVolume) *nodeaffinity.NodeSelector {
	if sel, ok := c.pvSel[pv]; ok {
		return sel
	}
	var sel *nodeaffinity.NodeSelector
	if pv.Spec.NodeAffinity != nil && pv.Spec.NodeAffinity.Required != nil {
		var err error
		if sel, err = nodeaffinity.NewNodeSelector(pv.Spec.NodeAffinity.Required); err != nil {
			sel, _ = nodeaffinity.NewNodeSelector(&corev1.NodeSelector{})
		}
	}
	c.pvSel[pv] = sel
	return sel
}

// matchTopologyTerms reports whether labels satisfy one of the terms (ORed; expressions within a term ANDed).
func matchTopologyTerms(terms []corev1.TopologySelectorTerm, lbls map[string]string) bool {
	for _, term := range terms {
		ok := true
		for _, e := range term.MatchLabelExpressions {
			v, has := lbls[e.Key]
			if !has || !slices.Contains(e.Values, v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// spreadCounts is the kube-scheduler's PodTopologySpread pre-filter state for one constraint over the final
// state: which nodes count, and the matching pods per domain.
