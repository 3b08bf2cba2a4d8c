package state

import (
	"maps"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// ResourceNodes counts a pool's nodes against its limits.
const ResourceNodes = v1.ResourceNodes

// ephemeralTaints come and go on a node that is still starting; a node a NodeClaim launched is not judged by
// them until it is initialized.
var ephemeralTaints = []string{
	corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable, "node.cloudprovider.kubernetes.io/uninitialized", v1.UnregisteredTaintKey,
}

// built is the capacity of a snapshot: nodes by name, and usage by pool. starting are the nodes a NodeClaim
// launched that it has not initialized yet: their DaemonSet pods may not have been created yet.
type built struct {
	nodes    []*solver.Node
	byName   map[string]*solver.Node
	usage    scheduling.PoolUsage
	starting []*solver.Node
}

// capacity models every Node and in-flight NodeClaim. typesOf holds the instance types of the pools being
// solved for, used to size claims that have not launched yet.
func (c *Cluster) capacity(typesOf map[string][]*cloudprovider.InstanceType, daemonSets []*corev1.Pod) *built {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b := &built{byName: map[string]*solver.Node{}, usage: scheduling.PoolUsage{}}
	claimOf := make(map[string]*v1.NodeClaim, len(c.claims))
	for _, nc := range c.claims {
		if nc.Status.ProviderID != "" {
			claimOf[nc.Status.ProviderID] = nc
		}
	}
	registered := map[string]bool{}
	for _, name := range sortedKeys(c.nodes) {
		n := c.nodes[name]
		claim := claimOf[n.Spec.ProviderID]
		if claim != nil {
			registered[claim.Name] = true
		}
		pool := n.Labels[v1.NodePoolLabelKey]
		capacity := n.Status.Capacity
		if len(capacity) == 0 {
			capacity = n.Status.Allocatable
		}
		if pool != "" {
			b.usage.Add(pool, capacity)
		}
		if !n.DeletionTimestamp.IsZero() {
			continue
		}
		allocatable := n.Status.Allocatable
		if len(allocatable) == 0 && claim != nil {
			allocatable = claim.Status.Allocatable
		}
		node := &solver.Node{Name: n.Name, Labels: n.Labels, Taints: nodeTaints(n, claim), Allocatable: allocatable, NodePool: pool}
		b.add(node)
		if claim != nil && n.Labels[v1.NodeInitializedLabelKey] != "true" {
			b.starting = append(b.starting, node)
		}
	}
	for _, name := range sortedKeys(c.claims) {
		nc := c.claims[name]
		if registered[nc.Name] || (nc.Status.NodeName != "" && c.nodes[nc.Status.NodeName] != nil) {
			continue
		}
		pool := nc.Labels[v1.NodePoolLabelKey]
		capacity, allocatable := nc.Status.Capacity, nc.Status.Allocatable
		if len(allocatable) == 0 {
			capacity, allocatable = estimate(nc, typesOf[pool])
		}
		if pool != "" {
			b.usage.Add(pool, capacity)
		}
		if !nc.DeletionTimestamp.IsZero() {
			continue
		}
		labels := scheduling.FromNodePoolRequirements(nc.Spec.Requirements...).Labels()
		maps.Copy(labels, nc.Labels)
		node := &solver.Node{Name: nc.Name, Labels: labels, Taints: v1.CoreTaints(nc.Spec.Taints), Allocatable: allocatable, InFlight: true, NodePool: pool}
		for _, ds := range daemonSets {
			if runsOn(ds, labels, node.Taints) {
				node.Pods = append(node.Pods, ds)
			}
		}
		b.add(node)
	}
	return b
}

// addDaemonSetPods gives each starting node the DaemonSet pods that will run there and are not bound yet.
func (b *built) addDaemonSetPods(daemonSets []*corev1.Pod) {
	for _, n := range b.starting {
		for _, ds := range daemonSets {
			if runsOn(ds, n.Labels, n.Taints) && !hasPodOf(n, ds) {
				n.Pods = append(n.Pods, ds)
			}
		}
	}
}

// hasPodOf reports whether the node has a pod of the DaemonSet that daemonSetPod stands for.
func hasPodOf(n *solver.Node, daemonSetPod *corev1.Pod) bool {
	return slices.ContainsFunc(n.Pods, func(p *corev1.Pod) bool {
		ref := metav1.GetControllerOf(p)
		return ref != nil && ref.Kind == "DaemonSet" && ref.Name == daemonSetPod.Name && p.Namespace == daemonSetPod.Namespace
	})
}

func (b *built) add(n *solver.Node) {
	b.nodes = append(b.nodes, n)
	b.byName[n.Name] = n
}

// nodeTaints are the taints the solver judges a node by: a cordoned node counts as tainted, as the node
// lifecycle controller will taint it; a node its NodeClaim has not initialized yet is judged without its
// startup and ephemeral taints, which are about to go.
func nodeTaints(n *corev1.Node, claim *v1.NodeClaim) []corev1.Taint {
	taints := slices.Clone(n.Spec.Taints)
	if claim != nil && n.Labels[v1.NodeInitializedLabelKey] != "true" {
		taints = slices.DeleteFunc(taints, func(t corev1.Taint) bool {
			return slices.Contains(ephemeralTaints, t.Key) || slices.ContainsFunc(claim.Spec.StartupTaints, func(s v1.Taint) bool {
				return s.Key == t.Key && s.Effect == t.Effect
			})
		})
	}
	if n.Spec.Unschedulable && !slices.ContainsFunc(taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeUnschedulable }) {
		taints = append(taints, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	return taints
}

// estimate sizes a claim that has not launched: the least allocatable and the most capacity of the instance
// types it allows, or its requests when none is known.
func estimate(nc *v1.NodeClaim, its []*cloudprovider.InstanceType) (capacity, allocatable corev1.ResourceList) {
	reqs := scheduling.FromNodePoolRequirements(nc.Spec.Requirements...)
	for _, it := range its {
		if reqs.Compatible(it.Requirements, func(string) bool { return true }) != nil {
			continue
		}
		if allocatable == nil {
			capacity, allocatable = it.Capacity.DeepCopy(), it.Allocatable()
			continue
		}
		capacity = combine(capacity, it.Capacity, func(a, b resource.Quantity) bool { return b.Cmp(a) > 0 }, true)
		allocatable = combine(allocatable, it.Allocatable(), func(a, b resource.Quantity) bool { return b.Cmp(a) < 0 }, false)
	}
	if allocatable == nil {
		requests := nc.Spec.Resources.Requests
		return requests, requests
	}
	return capacity, allocatable
}

// combine merges b into a, taking b's quantity where better says so. A resource missing from one side is kept
// when keepMissing (a maximum), and dropped otherwise (a minimum: a type without it offers none).
func combine(a, b corev1.ResourceList, better func(a, b resource.Quantity) bool, keepMissing bool) corev1.ResourceList {
	out := corev1.ResourceList{}
	for name, q := range a {
		other, ok := b[name]
		switch {
		case !ok && keepMissing:
			out[name] = q
		case ok && better(q, other):
			out[name] = other
		case ok:
			out[name] = q
		}
	}
	if keepMissing {
		for name, q := range b {
			if _, ok := a[name]; !ok {
				out[name] = q
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
