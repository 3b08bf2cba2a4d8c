package disruption

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// folding lets a simulation hand the solver lighter nodes. The solver reads a running pod for four things:
// its requests, which only lessen its node's free room; its host ports; its pod (anti-)affinity; and its
// labels, counted for the selectors of the pending pods' topology spread and pod (anti-)affinity. A pod with
// no host ports, no pod (anti-)affinity and no overhead that no such selector matches is its requests and
// nothing else, so a simulation can leave it out and take its requests off its node's allocatable instead:
// the solver then computes the same free room for the node (to the unit it rounds to) and the same counts,
// and decides the same, while it reads a few pods per node rather than every one. Most of a simulation's
// time on a large cluster went to reading running pods.
type folding struct {
	nodes []foldNode // by snapshot index
	// groups are the label sets of foldable pods, with their namespace; a simulation decides once per group
	// whether any selector matches it.
	groups []labels.Set
	// affinity are the selectors of running pods' pod (anti-)affinity terms, which the solver counts too.
	affinity []labels.Selector
}

// foldNode is a node's allocatable and pods, in solver units.
type foldNode struct {
	names    []corev1.ResourceName // the node's allocatable names, sorted
	units    []int64               // its allocatable, aligned with names
	pods     []foldPod             // its pods, in order
	foldable int
	groups   []int // the label groups of its foldable pods
	// lightest is the node with every foldable pod left out, shared by the simulations that match none of
	// its groups: most of them, since a simulation's selectors match few Deployments.
	lightest *solver.Node
}

// foldPod is a running pod; group is its label set's index, -1 when it may never be left out.
type foldPod struct {
	pod   *corev1.Pod
	group int
	units []int64 // its requests, aligned with its node's names
}

// newFolding digests the snapshot's running pods once per pass; nil when the solver derives selectors from
// pods' labels (default topology spread constraints), which a simulation cannot foresee cheaply.
func newFolding(s *solver.Snapshot) *folding {
	if len(s.Options.DefaultTopologySpreadConstraints) > 0 {
		return nil
	}
	f := &folding{nodes: make([]foldNode, len(s.Nodes))}
	groups := map[string]int{}
	for i, n := range s.Nodes {
		fn := foldNode{names: slices.Sorted(maps.Keys(n.Allocatable)), pods: make([]foldPod, len(n.Pods))}
		for _, name := range fn.names {
			fn.units = append(fn.units, units(name, n.Allocatable[name]))
		}
		for j, p := range n.Pods {
			fp := foldPod{pod: p, group: -1}
			f.affinity = append(f.affinity, affinitySelectors(p)...)
			if u, ok := fn.requestUnits(p); ok && foldable(p) {
				key := p.Namespace + "\x00" + labels.Set(p.Labels).String()
				g, seen := groups[key]
				if !seen {
					g = len(f.groups)
					groups[key] = g
					f.groups = append(f.groups, labels.Set(p.Labels))
				}
				fp.group, fp.units = g, u
				fn.foldable++
				if !slices.Contains(fn.groups, g) {
					fn.groups = append(fn.groups, g)
				}
			}
			fn.pods[j] = fp
		}
		f.nodes[i] = fn
	}
	none := make([]bool, len(f.groups))
	for i, n := range s.Nodes {
		f.nodes[i].lightest = f.fold(i, n, none)
	}
	return f
}

// units is a quantity as the solver counts it: CPU in millicores, everything else in units, rounded up.
func units(name corev1.ResourceName, q resource.Quantity) int64 {
	if name == corev1.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

// requestUnits are the pod's requests aligned with the node's names; false when it requests something the
// node does not list, which the solver may count apart.
func (fn *foldNode) requestUnits(p *corev1.Pod) ([]int64, bool) {
	req := scheduling.PodRequests(p)
	out := make([]int64, len(fn.names))
	for name, q := range req {
		i, ok := slices.BinarySearch(fn.names, name)
		if !ok {
			return nil, false
		}
		out[i] = units(name, q)
	}
	return out, true
}

// foldable reports whether the solver reads nothing of the pod but its requests and labels.
func foldable(p *corev1.Pod) bool {
	if p.Spec.Overhead != nil || (p.Spec.Affinity != nil && (p.Spec.Affinity.PodAffinity != nil || p.Spec.Affinity.PodAntiAffinity != nil)) {
		return false
	}
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			for _, port := range c.Ports {
				if port.HostPort != 0 {
					return false
				}
			}
		}
	}
	return true
}

// matched marks the label groups that a selector of the pending pods, or of a running pod's affinity,
// selects. Selectors are taken broader than the solver's (namespaces and match-label keys ignored), so that
// a pod the solver would count is never left out.
func (f *folding) matched(pending []*corev1.Pod) []bool {
	sels := slices.Clone(f.affinity)
	for _, p := range pending {
		for _, tsc := range p.Spec.TopologySpreadConstraints {
			sels = append(sels, selectorOf(tsc.LabelSelector, len(tsc.MatchLabelKeys) > 0))
		}
		sels = append(sels, affinitySelectors(p)...)
	}
	out := make([]bool, len(f.groups))
	for g, set := range f.groups {
		for _, s := range sels {
			if s.Matches(set) {
				out[g] = true
				break
			}
		}
	}
	return out
}

// affinitySelectors are the selectors of the pod's pod affinity and anti-affinity terms.
func affinitySelectors(p *corev1.Pod) []labels.Selector {
	a := p.Spec.Affinity
	if a == nil {
		return nil
	}
	var terms []corev1.PodAffinityTerm
	if pa := a.PodAffinity; pa != nil {
		terms = append(terms, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		terms = append(terms, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	out := make([]labels.Selector, 0, len(terms))
	for _, t := range terms {
		out = append(out, selectorOf(t.LabelSelector, len(t.MatchLabelKeys)+len(t.MismatchLabelKeys) > 0))
	}
	return out
}

// selectorOf is a label selector as the solver reads it, without the match-label keys it narrows it by: a
// nil selector selects nothing, unless keys build one from scratch. A selector that does not parse selects
// everything here, so that nothing it might select is left out.
func selectorOf(ls *metav1.LabelSelector, keys bool) labels.Selector {
	if ls == nil {
		if keys {
			return labels.Everything()
		}
		return labels.Nothing()
	}
	s, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return labels.Everything()
	}
	return s
}

// lighten is snapshot node i without the pods no selector matches, their requests taken off its allocatable;
// the node itself when it has none.
func (f *folding) lighten(i int, n *solver.Node, matched []bool) *solver.Node {
	fn := &f.nodes[i]
	for _, g := range fn.groups {
		if matched[g] {
			return f.fold(i, n, matched)
		}
	}
	return fn.lightest
}

// fold builds what lighten returns.
func (f *folding) fold(i int, n *solver.Node, matched []bool) *solver.Node {
	fn := &f.nodes[i]
	if fn.foldable == 0 {
		return n
	}
	var folded []int64
	kept := make([]*corev1.Pod, 0, len(fn.pods)-fn.foldable)
	for _, fp := range fn.pods {
		if fp.group < 0 || matched[fp.group] {
			kept = append(kept, fp.pod)
			continue
		}
		if folded == nil {
			folded = make([]int64, len(fn.names))
		}
		for k, u := range fp.units {
			folded[k] += u
		}
	}
	if folded == nil {
		return n
	}
	cp := *n
	cp.Pods = kept
	cp.Allocatable = make(corev1.ResourceList, len(n.Allocatable))
	for k, name := range fn.names {
		q := n.Allocatable[name]
		switch {
		case folded[k] == 0:
		case name == corev1.ResourceCPU:
			q = *resource.NewMilliQuantity(fn.units[k]-folded[k], q.Format)
		default:
			q = *resource.NewQuantity(fn.units[k]-folded[k], q.Format)
		}
		cp.Allocatable[name] = q
	}
	return &cp
}
