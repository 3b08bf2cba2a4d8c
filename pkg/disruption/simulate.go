package disruption

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// simulate asks the solver where the candidates' pods would go were the candidates gone: onto the nodes that
// stay, or onto new ones. The pods of nodes already disrupting are placed too, since they need room as well;
// the candidates no longer count against their pools' limits.
func (c *cluster) simulate(cands []*Candidate) *solver.Plan {
	c.simulations.Add(1)
	removed := make(map[int]bool, len(cands))
	freed := map[string]corev1.ResourceList{}
	var pods []*corev1.Pod
	for _, cand := range cands {
		removed[cand.index] = true
		pods = append(pods, pending(cand.Pods)...)
		f, ok := freed[cand.NodePool.Name]
		if !ok {
			f = corev1.ResourceList{}
			freed[cand.NodePool.Name] = f
		}
		addTo(f, c.in.Snapshot.Nodes[cand.index].Allocatable)
		addTo(f, corev1.ResourceList{v1.ResourceNodes: resource.MustParse("1")})
	}
	s := *c.in.Snapshot
	// Preferences are soft: the kube-scheduler honours them as well as the nodes that remain allow. Honouring
	// them here would make a node whose pods prefer to spread over hosts look as if it needed a new node per pod.
	s.Options.IgnorePreferences = true
	s.Nodes = make([]*solver.Node, 0, len(c.in.Snapshot.Nodes))
	for i, n := range c.in.Snapshot.Nodes {
		if c.disrupting[i] && !removed[i] {
			var movablePods []*corev1.Pod
			for _, p := range n.Pods {
				if movable(p) {
					movablePods = append(movablePods, p)
				}
			}
			pods = append(pods, pending(movablePods)...)
		}
	}
	var matched []bool
	if c.fold != nil {
		matched = c.fold.matched(pods)
	}
	for i, n := range c.in.Snapshot.Nodes {
		switch {
		case removed[i] || c.disrupting[i]:
		case c.fold != nil:
			s.Nodes = append(s.Nodes, c.fold.lighten(i, n, matched))
		default:
			s.Nodes = append(s.Nodes, n)
		}
	}
	s.Pods = pods
	s.NodePools = make([]*solver.NodePool, len(c.in.Snapshot.NodePools))
	for i, np := range c.in.Snapshot.NodePools {
		cp := *np
		if f, ok := freed[np.NodePool.Name]; ok {
			cp.Usage = subtract(np.Usage, f)
		}
		s.NodePools[i] = &cp
	}
	return solver.Solve(&s)
}

// pending returns the pods as the solver takes pending pods: unbound. The copies share everything else.
func pending(pods []*corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, len(pods))
	for i, p := range pods {
		cp := *p
		cp.Spec.NodeName = ""
		out[i] = &cp
	}
	return out
}

// outcome turns a simulation into a command, or the block that stops it: a candidate's pod that fits nowhere,
// or replacements the method may not launch.
func (c *cluster) outcome(m Method, cands []*Candidate, plan *solver.Plan, maxReplacements int) (*Command, *block) {
	mine := map[types.NamespacedName]bool{}
	for _, cand := range cands {
		for _, p := range cand.Pods {
			mine[types.NamespacedName{Namespace: p.Namespace, Name: p.Name}] = true
		}
	}
	for _, u := range plan.Unschedulable {
		if mine[u.Pod] {
			return nil, &block{reason: ReasonPodsWouldNotFit, message: fmt.Sprintf(
				"pod %s would fit on no other node and no new one: %s", u.Pod, u.Reason)}
		}
	}
	cmd := &Command{Method: m, Candidates: cands}
	for _, e := range plan.Existing {
		var moved []types.NamespacedName
		for _, k := range e.Pods {
			if mine[k] {
				moved = append(moved, k)
			}
		}
		if len(moved) > 0 {
			cmd.Placements = append(cmd.Placements, solver.ExistingPlacement{Node: e.Node, Pods: moved})
		}
	}
	for _, nc := range plan.NewNodeClaims {
		if hasAny(nc.Pods, mine) {
			cmd.Replacements = append(cmd.Replacements, nc)
		}
	}
	if maxReplacements >= 0 && len(cmd.Replacements) > maxReplacements {
		return cmd, &block{reason: ReasonNoCheaperReplacement, message: fmt.Sprintf(
			"its pods need %s, and consolidation may replace %s with at most %s", newNodes(len(cmd.Replacements)), nodesWord(len(cands)), newNodes(maxReplacements))}
	}
	return cmd, nil
}

func hasAny(pods []types.NamespacedName, set map[types.NamespacedName]bool) bool {
	for _, p := range pods {
		if set[p] {
			return true
		}
	}
	return false
}

// newNodes says how many new nodes, in words: "no new node", "1 new node", "2 new nodes".
func newNodes(n int) string {
	switch n {
	case 0:
		return "no new node"
	case 1:
		return "1 new node"
	}
	return fmt.Sprintf("%d new nodes", n)
}

func nodesWord(n int) string {
	if n == 1 {
		return "a node"
	}
	return fmt.Sprintf("%d nodes", n)
}
