package solver_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
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
func (c *planChecker) usedOn(n *stateNode) corev1.ResourceList {
	if n.used == nil {
		n.used = corev1.ResourceList{}
		for _, q := range n.pods {
			addTo(n.used, c.podInfoOf(q.pod).requests)
		}
	}
	return n.used
}

// fits returns why requests (plus one pod slot) do not fit next to used and podCount within alloc, or "". Only
// resources the pod asks for are compared, as the NodeResourcesFit filter does.
func fits(requests, used corev1.ResourceList, podCount int, alloc corev1.ResourceList) string {
	if fitsQuickly(requests, used, podCount, alloc) {
		return ""
	}
	var short []string
	if maxPods := alloc[corev1.ResourcePods]; int64(podCount+1) > maxPods.Value() {
		short = append(short, fmt.Sprintf("pods (%d + 1 > %s)", podCount, maxPods.String()))
	}
	for name, q := range requests {
		if name == corev1.ResourcePods || q.Sign() <= 0 {
			continue
		}
		u, limit := used[name], alloc[name]
		if u.MilliValue()+q.MilliValue() > limit.MilliValue() {
			short = append(short, fmt.Sprintf("%s (%s + %s > %s)", name, u.String(), q.String(), limit.String()))
		}
	}
	if len(short) == 0 {
		return ""
	}
	sort.Strings(short)
	return "insufficient " + strings.Join(short, ", ")
}

// addTo adds list into sum.
func addTo(sum, list corev1.ResourceList) {
	for name, q := range list {
		total := sum[name].DeepCopy()
		total.Add(q)
		sum[name] = total
	}
}

// sortedResourceNames lists a resource list's names in order.
func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	out := make([]corev1.ResourceName, 0, len(l))
	for name := range l {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// portFit returns why the pod's host ports collide with those of the pods on n, or "".
func (c *planChecker) portFit(pod *corev1.Pod, n *stateNode) string {
	mine := c.podInfoOf(pod).ports
	if len(mine) == 0 {
		return ""
	}
	for _, q := range n.pods {
		for _, o := range c.podInfoOf(q.pod).ports {
			for _, h := range mine {
				if h.conflicts(o) {
					return fmt.Sprintf("host port %s/%d is taken by %s/%s", h.protocol, h.port, q.pod.Namespace, q.pod.Name)
				}
			}
		}
	}
	return ""
}

// podName prints a pod's namespace and name.
func podName(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

// nodeDesc describes a node of the final state for messages.
func nodeDesc(n *stateNode) string {
	if n.claim != nil {
		return fmt.Sprintf("%s (pool %s, %s in %s/%s)", n.name, n.claim.NodePool, n.claim.InstanceType, n.claim.Zone, n.claim.CapacityType)
	}
	if n.fresh {
		return fmt.Sprintf("a fresh node (pool %s, %s in %s/%s)", n.pool.NodePool.Name, n.it.Name, n.labels()[corev1.LabelTopologyZone], n.labels()[v1.CapacityTypeLabelKey])
	}
	return "existing node " + n.name
}

// typeLabels returns the labels a node of the instance type carries whatever its offering (requirements with
// one value), and the keys its requirements say it does not carry.
func typeLabels(it *cloudprovider.InstanceType) (map[string]string, map[string]bool) {
	lbls, absent := map[string]string{}, map[string]bool{}
	for k, r := range it.Requirements {
		if k == corev1.LabelTopologyZone || k == v1.CapacityTypeLabelKey {
			continue
		}
		switch n := r.Len(); {
		case n == 1:
			v, _ := r.Any()
			lbls[k] = v
		case n == 0 && r.AllowsAbsent():
			absent[k] = true
		}
	}
	return lbls, absent
}

// poolAdmits reports whether labels satisfy the pool's requirements.
func (c *planChecker) poolAdmits(pool *solver.NodePool, lbls map[string]string) bool {
	for _, r := range pool.NodePool.Spec.Template.Spec.Requirements {
		if !requirementHolds(r.NodeSelectorRequirement(), lbls) {
			return false
		}
	}
	return true
}

// requirementHolds evaluates one node selector requirement against concrete labels, with the Kubernetes
// operator semantics: NotIn and DoesNotExist hold for an absent key; Gt and Lt compare integers.
func requirementHolds(r corev1.NodeSelectorRequirement, lbls map[string]string) bool {
	v, ok := lbls[r.Key]
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		return ok && slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpNotIn:
		return !ok || !slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpExists:
		return ok
	case corev1.NodeSelectorOpDoesNotExist:
		return !ok
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !ok || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		bound, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return (r.Operator == corev1.NodeSelectorOpGt && have > bound) || (r.Operator == corev1.NodeSelectorOpLt && have < bound)
	}
	return false
}

// poolAdmitsKeys reports whether labels satisfy the pool's requirements on the keys an instance type defines
// (its requirements' keys): what changes when a claim runs as another type. The other keys are judged once,
// on the claim itself.
func (c *planChecker) poolAdmitsKeys(pool *solver.NodePool, lbls map[string]string, keys scheduling.Requirements) bool {
	for _, r := range pool.NodePool.Spec.Template.Spec.Requirements {
		if keys.Has(r.Key) && !requirementHolds(r.NodeSelectorRequirement(), lbls) {
			return false
		}
	}
	return true
}

// offeringPrice returns the cheapest available offering price of it in zone and capacity type.
func offeringPrice(it *cloudprovider.InstanceType, zone, capacityType string) (float64, bool) {
	best, found := 0.0, false
	for _, o := range it.Offerings {
		if o.Available && o.Zone == zone && o.CapacityType == capacityType && (!found || o.Price < best) {
			best, found = o.Price, true
		}
	}
	return best, found
}

// fitsQuickly is fits without the explanation.
func fitsQuickly(requests, used corev1.ResourceList, podCount int, alloc corev1.ResourceList) bool {
	if maxPods := alloc[corev1.ResourcePods]; int64(podCount+1) > maxPods.Value() {
		return false
	}
	for name, q := range requests {
		if name == corev1.ResourcePods || q.Sign() <= 0 {
			continue
		}
		if u, limit := used[name], alloc[name]; u.MilliValue()+q.MilliValue() > limit.MilliValue() {
			return false
		}
	}
	return true
}

// substituteType returns claim labels as they would be with instance type it instead of the chosen one.
func (c *planChecker) substituteType(lbls map[string]string, chosen, it *cloudprovider.InstanceType) map[string]string {
	out := make(map[string]string, len(lbls))
	for k, v := range lbls {
		out[k] = v
	}
	if chosen != nil {
		for k := range chosen.Requirements {
			if k != corev1.LabelTopologyZone && k != v1.CapacityTypeLabelKey {
				delete(out, k)
			}
		}
	}
	for k, v := range c.typeLabelsOf(it).present {
		out[k] = v
	}
	return out
}

// typeLabelSet is what typeLabels returns, kept per instance type.
type typeLabelSet struct {
	present map[string]string
	absent  map[string]bool
}

// typeLabelsOf returns (once per instance type) typeLabels(it).
func (c *planChecker) typeLabelsOf(it *cloudprovider.InstanceType) typeLabelSet {
	if tl, ok := c.typeLbls[it]; ok {
		return tl
	}
	present, absent := typeLabels(it)
	tl := typeLabelSet{present: present, absent: absent}
	c.typeLbls[it] = tl
	return tl
}

// typeServes reports why instance type it, in the claim's zone and capacity type and with the claim's other
// labels, cannot run the claim's pods, or "".
func (c *planChecker) typeServes(n *stateNode, it *cloudprovider.InstanceType) string {
	lbls := c.substituteType(n.labels(), n.it, it)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: lbls}}
	if !c.poolAdmitsKeys(n.pool, lbls, it.Requirements) {
		return "its labels break the pool's requirements"
	}
	for _, q := range c.distinctAffinities(n) {
		if ok, err := c.podInfoOf(q.pod).affinity.Match(node); err != nil || !ok {
			return "pod " + podName(q.pod) + "'s node affinity rejects its labels"
		}
	}
	if why := fits(c.usedOn(n), corev1.ResourceList{}, len(n.pods)-1, c.available(it)); why != "" {
		return "the pods do not fit: " + why
	}
	return ""
}

// available returns (once per instance type) what pods may use on a new node of the type.
func (c *planChecker) available(it *cloudprovider.InstanceType) corev1.ResourceList {
	if a, ok := c.avail[it]; ok {
		return a
	}
	a := it.Available()
	c.avail[it] = a
	return a
}

// distinctAffinities returns (once) one pod of the claim per distinct nodeSelector and node affinity.
func (c *planChecker) distinctAffinities(n *stateNode) []*statePod {
	if n.distinct != nil {
		return n.distinct
	}
	seen := map[string]bool{}
	n.distinct = []*statePod{}
	for _, q := range n.pods {
		if key := nodeAffinityKey(q.pod); !seen[key] {
			seen[key] = true
			n.distinct = append(n.distinct, q)
		}
	}
	return n.distinct
}

// checkClaims verifies each new claim's pool, type, offering, price, labels and instance type options.
func (c *planChecker) checkClaims() {
	configured := c.s.Options.MaxInstanceTypeOptions
	if configured == 0 {
		configured = defaultMaxOptions
	}
	for i, nc := range c.p.NewNodeClaims {
		if nc == nil {
			continue
		}
		n := c.claimNodes[i]
		where := fmt.Sprintf("new claim %d (pool %s, %s in %s/%s)", i, nc.NodePool, nc.InstanceType, nc.Zone, nc.CapacityType)
		if len(nc.Pods) == 0 {
			c.add(ruleClaim, "%s has no pods", where)
		}
		if n.pool == nil {
			c.add(ruleClaim, "%s names a pool not in the snapshot", where)
			continue
		}
		if n.it == nil {
			c.add(ruleClaim, "%s names an instance type the pool does not offer", where)
			continue
		}
		price, ok := offeringPrice(n.it, nc.Zone, nc.CapacityType)
		switch {
		case !ok:
			c.add(ruleClaim, "%s: no available offering of %s in %s/%s", where, nc.InstanceType, nc.Zone, nc.CapacityType)
		case math.Abs(price-nc.PricePerHour) > priceEpsilon:
			c.add(ruleClaim, "%s: price %v, but the offering costs %v", where, nc.PricePerHour, price)
		}
		c.checkClaimLabels(where, n)
		c.checkClaimRequests(where, n)
		// minValues wins over the configured bound: a claim with fewer types than minValues may not launch.
		maxOptions := configured
		for _, r := range n.pool.NodePool.Spec.Template.Spec.Requirements {
			if r.MinValues != nil {
				maxOptions = max(maxOptions, *r.MinValues)
			}
		}
		c.checkOptions(where, n, maxOptions)
	}
}

// checkClaimLabels verifies that a claim's labels are the node's labels: pool template labels, zone, capacity
// type, the instance type's labels, the pool's requirements and the claim's own requirements.
func (c *planChecker) checkClaimLabels(where string, n *stateNode) {
	nc, lbls := n.claim, nc0Labels(n.claim)
	want := map[string]string{
		corev1.LabelTopologyZone:       nc.Zone,
		v1.CapacityTypeLabelKey:        nc.CapacityType,
		corev1.LabelInstanceTypeStable: nc.InstanceType,
	}
	for k, v := range n.pool.NodePool.Spec.Template.ObjectMeta.Labels {
		want[k] = string(v)
	}
	tl := c.typeLabelsOf(n.it)
	for k, v := range tl.present {
		want[k] = v
	}
	for _, k := range sortedKeys(want) {
		if got, ok := lbls[k]; !ok || got != want[k] {
			c.add(ruleClaim, "%s: label %s is %q (present %v), want %q", where, k, got, ok, want[k])
		}
	}
	for _, k := range sortedKeys(tl.absent) {
		if v, ok := lbls[k]; ok {
			c.add(ruleClaim, "%s: label %s=%s, but the instance type has no such label", where, k, v)
		}
	}
	if !c.poolAdmits(n.pool, n.labels()) {
		c.add(ruleClaimReqs, "%s: labels %v do not satisfy the pool's requirements %v", where, lbls, n.pool.NodePool.Spec.Template.Spec.Requirements)
	}
	for _, k := range nc.Requirements.Keys() {
		r := nc.Requirements[k]
		v, ok := lbls[k]
		if (ok && !r.Has(v)) || (!ok && !r.AllowsAbsent()) {
			c.add(ruleClaimReqs, "%s: label %s=%q (present %v) breaks the claim's own requirement %s", where, k, v, ok, r)
		}
	}
}

// nc0Labels returns a claim's labels, never nil.
func nc0Labels(nc *solver.NewNodeClaim) map[string]string {
	if nc.Labels == nil {
		return map[string]string{}
	}
	return nc.Labels
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkClaimRequests verifies that a claim's Requests are its pods' total requests.
func (c *planChecker) checkClaimRequests(where string, n *stateNode) {
	total := corev1.ResourceList{}
	for _, q := range n.pods {
		addTo(total, c.podInfoOf(q.pod).requests)
	}
	for _, name := range sortedResourceNames(total) {
		got := n.claim.Requests[name]
		if want := total[name]; got.Cmp(want) != 0 {
			c.add(ruleClaim, "%s: requests %s = %s, but its pods request %s", where, name, got.String(), want.String())
		}
	}
	for _, name := range sortedResourceNames(n.claim.Requests) {
		if _, ok := total[name]; !ok && name != corev1.ResourcePods {
			if q := n.claim.Requests[name]; !q.IsZero() {
				c.add(ruleClaim, "%s: requests %s = %s, which no pod requests", where, name, q.String())
			}
		}
	}
}

// checkOptions verifies a claim's instance type options: bounded, unique, sorted by price, led by the chosen
// type, each with an offering at its price in the claim's zone and capacity type and able to run every pod;
// enough distinct values for the pool's minValues; and no cheaper compatible type of the pool left out.
func (c *planChecker) checkOptions(where string, n *stateNode, maxOptions int) {
	nc := n.claim
	opts := nc.InstanceTypeOptions
	if len(opts) == 0 || len(opts) > maxOptions {
		c.add(ruleOptions, "%s has %d instance type options, want 1 to %d", where, len(opts), maxOptions)
	}
	if len(opts) > 0 && (opts[0].Name != nc.InstanceType || math.Abs(opts[0].PricePerHour-nc.PricePerHour) > priceEpsilon) {
		c.add(ruleOptions, "%s: first option is %s at %v, want the chosen %s at %v", where, opts[0].Name, opts[0].PricePerHour, nc.InstanceType, nc.PricePerHour)
	}
	seen := map[string]bool{}
	var types []*cloudprovider.InstanceType
	for j, o := range opts {
		if j > 0 && o.PricePerHour < opts[j-1].PricePerHour {
			c.add(ruleOptions, "%s: options not sorted by price: %s at %v after %s at %v", where, o.Name, o.PricePerHour, opts[j-1].Name, opts[j-1].PricePerHour)
		}
		if seen[o.Name] {
			c.add(ruleOptions, "%s: option %s listed twice", where, o.Name)
			continue
		}
		seen[o.Name] = true
		it := findType(n.pool, o.Name)
		if it == nil {
			c.add(ruleOptions, "%s: option %s is not an instance type of the pool", where, o.Name)
			continue
		}
		types = append(types, it)
		if price, ok := offeringPrice(it, nc.Zone, nc.CapacityType); !ok || math.Abs(price-o.PricePerHour) > priceEpsilon {
			c.add(ruleOptions, "%s: option %s at %v, but its offering in %s/%s is %v (available %v)", where, o.Name, o.PricePerHour, nc.Zone, nc.CapacityType, price, ok)
		}
		if why := c.typeServes(n, it); why != "" {
			c.add(ruleOptions, "%s: option %s cannot serve the claim: %s", where, o.Name, why)
		}
	}
	for _, r := range n.pool.NodePool.Spec.Template.Spec.Requirements {
		if r.MinValues == nil {
			continue
		}
		values := map[string]bool{}
		for _, it := range types {
			if v, ok := c.substituteType(n.labels(), n.it, it)[r.Key]; ok {
				values[v] = true
			}
		}
		if len(values) < *r.MinValues {
			c.add(ruleOptions, "%s: options carry %d distinct values of %s, the pool's minValues is %d", where, len(values), r.Key, *r.MinValues)
		}
	}
	if len(types) == 0 {
		return
	}
	used := c.poolUsed(n.pool)
	for _, it := range n.pool.InstanceTypes {
		if seen[it.Name] {
			continue
		}
		price, ok := offeringPrice(it, nc.Zone, nc.CapacityType)
		if !ok || price >= nc.PricePerHour-priceEpsilon {
			continue
		}
		if c.typeServes(n, it) != "" || c.losesPreference(n, it) {
			continue
		}
		swapped := used.DeepCopy()
		subtractFrom(swapped, n.it.Capacity)
		subtractFrom(swapped, corev1.ResourceList{"nodes": *resource.NewQuantity(1, resource.DecimalSI)})
		if !c.limitsAdmit(n.pool, swapped, it) {
			continue
		}
		c.add(ruleCheapest, "%s at %v: %s at %v in the same zone and capacity type runs all %d of its pods within the pool's requirements and limits",
			where, nc.PricePerHour, it.Name, price, len(n.pods))
		break
	}
}

// losesPreference reports whether running the claim as instance type it would lose a preferred node affinity
// term some pod on the claim now enjoys. Unless Options.IgnorePreferences, the solver honours preferences
// and relaxes them only for pods it cannot place otherwise, so a pricier type that meets one is legitimate.
func (c *planChecker) losesPreference(n *stateNode, it *cloudprovider.InstanceType) bool {
	if c.s.Options.IgnorePreferences {
		return false
	}
	alt := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: c.substituteType(n.labels(), n.it, it)}}
	for _, q := range n.pods {
		a := q.pod.Spec.Affinity
		if a == nil || a.NodeAffinity == nil {
			continue
		}
		for _, pref := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			sel, err := nodeaffinity.NewNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{pref.Preference}})
			if err == nil && sel.Match(n.node) && !sel.Match(alt) {
				return true
			}
		}
	}
	return false
}

// subtractFrom subtracts list from sum.
func subtractFrom(sum, list corev1.ResourceList) {
	for name, q := range list {
		total := sum[name].DeepCopy()
		total.Sub(q)
		sum[name] = total
	}
}

// poolUsed returns what counts against the pool's limits in the final state: its usage plus the capacity of
// its new claims, "nodes" included.
func (c *planChecker) poolUsed(pool *solver.NodePool) corev1.ResourceList {
	if used, ok := c.used[pool]; ok {
		return used
	}
	used := corev1.ResourceList{}
	c.used[pool] = used
	addTo(used, pool.Usage)
	for _, n := range c.nodes {
		if n.claim == nil || n.pool != pool || n.it == nil {
			continue
		}
		addTo(used, n.it.Capacity)
		addTo(used, corev1.ResourceList{corev1.ResourceName("nodes"): *resource.NewQuantity(1, resource.DecimalSI)})
	}
	return used
}

// limitsAdmit reports whether one more node of type it fits within the pool's limits on top of used.
func (c *planChecker) limitsAdmit(pool *solver.NodePool, used corev1.ResourceList, it *cloudprovider.InstanceType) bool {
	for name, limit := range pool.NodePool.Spec.Limits {
		total := used[name].DeepCopy()
		if name == "nodes" {
			total.Add(*resource.NewQuantity(1, resource.DecimalSI))
		} else {
			total.Add(it.Capacity[name])
		}
		if total.Cmp(limit) > 0 {
			return false
		}
	}
	return true
}

// checkCapacity verifies that no node of the final state is asked for more than it has.
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
