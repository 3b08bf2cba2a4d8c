package disruption

import (
	"fmt"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// cluster is the Input digested once per pass: candidates, the nodes already disrupting, and indexes.
type cluster struct {
	in    *Input
	pools map[string]*solver.NodePool
	// candidates are the nodes of known pools that are initialized or not, in snapshot order; disrupting are the
	// indexes of nodes being removed already, whose pods every simulation must place too.
	candidates []*Candidate
	disrupting map[int]bool
	// disruptingByPool counts nodes being removed already, per pool, against the budgets.
	disruptingByPool map[string]int
	// nodesByPool counts each pool's nodes, the base of percentage budgets.
	nodesByPool map[string]int
	pdbs        map[string][]pdb // by namespace
	// fold lightens the nodes simulations hand the solver; nil to hand them as they are.
	fold *folding
	// simulations counts the solver runs; single-node consolidation runs them side by side.
	simulations atomic.Int64
}

type pdb struct {
	obj      *policyv1.PodDisruptionBudget
	selector labels.Selector
}

func newCluster(in *Input) *cluster {
	c := &cluster{
		in: in, pools: map[string]*solver.NodePool{}, disrupting: map[int]bool{},
		disruptingByPool: map[string]int{}, nodesByPool: map[string]int{}, pdbs: map[string][]pdb{},
	}
	for _, np := range in.Snapshot.NodePools {
		c.pools[np.NodePool.Name] = np
	}
	c.fold = newFolding(in.Snapshot)
	for _, p := range in.PDBs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			continue // the API server rejects such selectors; nothing to match
		}
		c.pdbs[p.Namespace] = append(c.pdbs[p.Namespace], pdb{obj: p, selector: sel})
	}
	for i, sn := range in.Snapshot.Nodes {
		n := in.Nodes[i]
		pool := poolOf(n, sn)
		if pool == "" {
			continue
		}
		c.nodesByPool[pool]++
		if isDisrupting(n) {
			c.disrupting[i] = true
			c.disruptingByPool[pool]++
			continue
		}
		np, ok := c.pools[pool]
		if !ok || sn.InFlight || n.Node == nil {
			continue
		}
		c.candidates = append(c.candidates, c.candidate(i, n, sn, np))
	}
	return c
}

// poolOf is the node's NodePool, from its labels.
func poolOf(n *Node, sn *solver.Node) string {
	if sn.NodePool != "" {
		return sn.NodePool
	}
	if n.Node != nil {
		return n.Node.Labels[v1.NodePoolLabelKey]
	}
	return ""
}

// isDisrupting reports whether the node is on its way out: deleted, or tainted by a disruption in progress.
func isDisrupting(n *Node) bool {
	if n.NodeClaim != nil && !n.NodeClaim.DeletionTimestamp.IsZero() {
		return true
	}
	if n.Node == nil {
		return false
	}
	if !n.Node.DeletionTimestamp.IsZero() {
		return true
	}
	for _, t := range n.Node.Spec.Taints {
		if t.Key == v1.DisruptedTaintKey {
			return true
		}
	}
	return false
}

func (c *cluster) candidate(i int, n *Node, sn *solver.Node, np *solver.NodePool) *Candidate {
	l := n.Node.Labels
	cand := &Candidate{
		Name: n.Node.Name, NodePool: np.NodePool, node: n, index: i,
		InstanceType: l[corev1.LabelInstanceTypeStable], Zone: l[corev1.LabelTopologyZone], CapacityType: l[v1.CapacityTypeLabelKey],
	}
	if n.NodeClaim != nil {
		cand.NodeClaim = n.NodeClaim.Name
	}
	cand.PricePerHour = c.price(np, cand.InstanceType, cand.Zone, cand.CapacityType)
	for _, p := range sn.Pods {
		if movable(p) {
			cand.Pods = append(cand.Pods, p)
		}
	}
	cand.Requests = requests(cand.Pods)
	cand.Utilization = utilization(sn)
	return cand
}

// price is the hourly price of an instance type's offering, looked up in the node's pool and then in every
// pool; 0 when no pool offers it any more.
func (c *cluster) price(np *solver.NodePool, instanceType, zone, capacityType string) float64 {
	lookup := func(its []*cloudprovider.InstanceType) (float64, bool) {
		for _, it := range its {
			if it.Name != instanceType {
				continue
			}
			for _, o := range it.Offerings {
				if o.Zone == zone && o.CapacityType == capacityType {
					return o.Price, true
				}
			}
		}
		return 0, false
	}
	if p, ok := lookup(np.InstanceTypes); ok {
		return p
	}
	for _, other := range c.in.Snapshot.NodePools {
		if p, ok := lookup(other.InstanceTypes); ok {
			return p
		}
	}
	return 0
}

// movable reports whether a pod must move when its node goes: DaemonSet and mirror pods stay with the node,
// finished and deleted pods hold nothing.
func movable(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || !p.DeletionTimestamp.IsZero() {
		return false
	}
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return false
	}
	for _, ref := range p.OwnerReferences {
		if ref.Kind == "DaemonSet" {
			return false
		}
	}
	return true
}

// utilization is the larger of the node's requested CPU and memory shares.
func utilization(sn *solver.Node) float64 {
	used := requests(sn.Pods)
	share := func(name corev1.ResourceName) float64 {
		alloc := sn.Allocatable[name]
		if alloc.IsZero() {
			return 0
		}
		u := used[name]
		return u.AsApproximateFloat64() / alloc.AsApproximateFloat64()
	}
	return max(share(corev1.ResourceCPU), share(corev1.ResourceMemory))
}

// block is why a candidate may not be consolidated, before any simulation.
type block struct {
	reason, message string
	// hard blocks hide what consolidation would save, so the simulation is still run to report it.
	transient bool
}

// initialized reports whether the node finished joining: Stevedore labels it once its startup taints are gone
// and its resources registered.
func initialized(c *Candidate) bool {
	return c.node.Node.Labels[v1.NodeInitializedLabelKey] == "true"
}

// doNotDisrupt finds what asks for the node to be left alone: the node, its claim, or one of its pods.
func doNotDisrupt(c *Candidate) *block {
	if c.node.Node.Annotations[v1.DoNotDisruptAnnotationKey] == "true" {
		return &block{reason: ReasonDoNotDisrupt, message: fmt.Sprintf("node %s is annotated %s=true; remove the annotation to let Stevedore consolidate it", c.Name, v1.DoNotDisruptAnnotationKey)}
	}
	if nc := c.node.NodeClaim; nc != nil && nc.Annotations[v1.DoNotDisruptAnnotationKey] == "true" {
		return &block{reason: ReasonDoNotDisrupt, message: fmt.Sprintf("NodeClaim %s is annotated %s=true; remove the annotation to let Stevedore consolidate it", nc.Name, v1.DoNotDisruptAnnotationKey)}
	}
	for _, p := range c.Pods {
		if p.Annotations[v1.DoNotDisruptAnnotationKey] == "true" {
			return &block{reason: ReasonDoNotDisrupt, message: fmt.Sprintf("pod %s/%s is annotated %s=true; the node stays while it runs", p.Namespace, p.Name, v1.DoNotDisruptAnnotationKey)}
		}
	}
	return nil
}

// pdbBlocked finds a PodDisruptionBudget that allows none of the candidate's pods to be evicted now.
func (c *cluster) pdbBlocked(cand *Candidate) *block {
	for _, p := range cand.Pods {
		for _, b := range c.pdbs[p.Namespace] {
			if b.obj.Status.DisruptionsAllowed > 0 || !b.selector.Matches(labels.Set(p.Labels)) {
				continue
			}
			return &block{reason: ReasonPDBBlocked, message: fmt.Sprintf(
				"PodDisruptionBudget %s/%s allows no disruption now (%d of %d pods healthy, %d desired), and it covers pod %s",
				b.obj.Namespace, b.obj.Name, b.obj.Status.CurrentHealthy, b.obj.Status.ExpectedPods, b.obj.Status.DesiredHealthy, p.Name)}
		}
	}
	return nil
}

// quietSince is when a pod last arrived on or left the node: LastPodEvent when known, else the latest start
// of its pods or the node's creation.
func quietSince(c *Candidate) time.Time {
	if !c.node.LastPodEvent.IsZero() {
		return c.node.LastPodEvent
	}
	last := c.node.Node.CreationTimestamp.Time
	for _, p := range c.Pods {
		t := p.CreationTimestamp.Time
		if p.Status.StartTime != nil {
			t = p.Status.StartTime.Time
		}
		if t.After(last) {
			last = t
		}
	}
	return last
}

// consolidateAfter blocks a node whose pods changed too recently for the pool's consolidateAfter.
func (c *cluster) consolidateAfter(cand *Candidate) *block {
	after := cand.NodePool.Spec.Disruption.ConsolidateAfter
	if after.IsNever() {
		return &block{reason: ReasonConsolidateAfterNotElapsed, transient: true, message: fmt.Sprintf(
			"NodePool %s has spec.disruption.consolidateAfter: Never; set a duration to let Stevedore consolidate its nodes", cand.NodePool.Name)}
	}
	if after.Duration == nil {
		return nil
	}
	since := quietSince(cand)
	if c.in.Now.Sub(since) >= *after.Duration {
		return nil
	}
	// The message names instants, not "n seconds ago", so that it does not change, and is not rewritten, on
	// every pass.
	return &block{reason: ReasonConsolidateAfterNotElapsed, transient: true, message: fmt.Sprintf(
		"pods arrived or left at %s; NodePool %s waits %s (spec.disruption.consolidateAfter), until %s",
		since.UTC().Format(time.RFC3339), cand.NodePool.Name, after.Duration, since.Add(*after.Duration).UTC().Format(time.RFC3339))}
}
