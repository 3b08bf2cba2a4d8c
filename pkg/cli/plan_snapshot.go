package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/manifest"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// snapshotBuilder turns manifests into the solver's snapshot.
type snapshotBuilder struct {
	opts     *planOptions
	objects  *manifest.Objects
	warnings io.Writer
	// spot prices spot offerings; nil leaves them unpriced (offline).
	spot pricing.SpotSource
	// classes are the EC2NodeClasses of the manifests by name, with the --cni-mode applied.
	classes map[string]*awsv1.EC2NodeClass
	// defaultPool is true when the manifests have no NodePool and the built-in one is used.
	defaultPool bool
	// pools are the NodePools planned with, the built-in one included; set by build.
	pools []*v1.NodePool
}

func (b *snapshotBuilder) warn(format string, args ...any) {
	fmt.Fprintf(b.warnings, "Warning: "+format+"\n", args...)
}

// build assembles the snapshot. Errors in the manifests are usage errors; others are failures.
func (b *snapshotBuilder) build(ctx context.Context) (*solver.Snapshot, error) {
	if err := b.nodeClasses(); err != nil {
		return nil, usageError{err}
	}
	pools := b.objects.NodePools
	if len(pools) == 0 {
		pools, b.defaultPool = []*v1.NodePool{defaultNodePool(b.opts.zones)}, true
	}
	b.pools = pools
	nodes, usage, err := b.existingNodes(pools)
	if err != nil {
		return nil, usageError{err}
	}
	daemonSetPods := b.objects.DaemonSetPods()
	snapshot := &solver.Snapshot{
		Pods:                   b.placePods(nodes, daemonSetPods),
		Nodes:                  nodes,
		PersistentVolumeClaims: b.objects.PersistentVolumeClaims,
		PersistentVolumes:      b.objects.PersistentVolumes,
		StorageClasses:         b.objects.StorageClasses,
		Options:                solver.Options{IgnorePreferences: b.opts.ignorePreferences},
	}
	b.warnUnpricedSpot()
	provider := instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic(b.opts.region, b.spot, logr.Discard()),
		instancetype.Options{Region: b.opts.region, VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent})
	for _, np := range pools {
		nc, err := b.nodeClass(np)
		if err != nil {
			return nil, usageError{err}
		}
		types, err := provider.InstanceTypes(ctx, instancetype.Request{NodeClass: nc, NodePool: np, Zones: b.opts.zones, DaemonSetPods: daemonSetPods})
		if err != nil {
			return nil, fmt.Errorf("instance types of NodePool %s: %w", np.Name, err)
		}
		if len(types) == 0 {
			b.warn("NodePool %s admits no priced instance type in zones %s; it can launch nothing", np.Name, strings.Join(b.opts.zones, ","))
		}
		snapshot.NodePools = append(snapshot.NodePools, &solver.NodePool{NodePool: np, InstanceTypes: types, Usage: usage.Of(np.Name)})
	}
	return snapshot, nil
}

// nodeClasses validates the manifests' EC2NodeClasses and applies --cni-mode.
func (b *snapshotBuilder) nodeClasses() error {
	b.classes = map[string]*awsv1.EC2NodeClass{}
	for _, nc := range b.objects.EC2NodeClasses {
		b.setCNIMode(nc)
		if err := validateNodeClass(nc); err != nil {
			return fmt.Errorf("invalid EC2NodeClass %s: %w", nc.Name, err)
		}
		b.classes[nc.Name] = nc
	}
	return nil
}

func (b *snapshotBuilder) setCNIMode(nc *awsv1.EC2NodeClass) {
	if b.opts.cniMode != "" {
		nc.Spec.CNIMode = awsv1.CNIMode(b.opts.cniMode)
	}
	if nc.Spec.CNIMode == "" {
		nc.Spec.CNIMode = awsv1.CNIModeSecondaryIP
	}
}

// nodeClass is the EC2NodeClass a pool launches from. A class the manifests lack is stood in for by the default
// one, with a warning unless the pool is the built-in one.
func (b *snapshotBuilder) nodeClass(np *v1.NodePool) (*awsv1.EC2NodeClass, error) {
	ref := np.Spec.Template.Spec.NodeClassRef
	if ref == nil {
		return nil, fmt.Errorf("spec.template.spec.nodeClassRef of NodePool %s is required", np.Name)
	}
	if nc, ok := b.classes[ref.Name]; ok {
		return nc, nil
	}
	nc := b.defaultNodeClass(ref.Name)
	if !b.defaultPool {
		b.warn("NodePool %s uses EC2NodeClass %s, which the manifests do not define; assuming al2023@latest with %s", np.Name, ref.Name, nc.Spec.CNIMode)
	}
	b.classes[ref.Name] = nc
	return nc, nil
}

// defaultNodeClass is an EC2NodeClass with nothing set but the AL2023 image and the CNI mode: a node with the
// EKS defaults for kubelet reservations, max pods and root volume.
func (b *snapshotBuilder) defaultNodeClass(name string) *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       awsv1.EC2NodeClassSpec{AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}}},
	}
	b.setCNIMode(nc)
	return nc
}

// defaultNodePool is the pool planned against when the manifests define none; website/content/docs/plan.md
// documents it.
func defaultNodePool(zones []string) *v1.NodePool {
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	np.Spec.Template.Spec.NodeClassRef = &v1.NodeClassReference{Group: awsv1.Group, Kind: "EC2NodeClass", Name: "default"}
	np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{
		{Key: v1.CapacityTypeLabelKey, Operator: v1.OperatorIn, Values: []string{v1.CapacityTypeOnDemand, v1.CapacityTypeSpot}},
		{Key: corev1.LabelArchStable, Operator: v1.OperatorIn, Values: []string{"amd64"}},
		{Key: awsv1.LabelInstanceCategory, Operator: v1.OperatorIn, Values: []string{"c", "m", "r"}},
		{Key: awsv1.LabelInstanceGeneration, Operator: v1.OperatorGt, Values: []string{"4"}},
		{Key: corev1.LabelTopologyZone, Operator: v1.OperatorIn, Values: zones},
	}
	return np
}

// existingNodes models the manifests' nodes, without their pods (placePods adds those), and sums each pool's
// usage.
func (b *snapshotBuilder) existingNodes(pools []*v1.NodePool) ([]*solver.Node, scheduling.PoolUsage, error) {
	usage := scheduling.PoolUsage{}
	var nodes []*solver.Node
	for _, n := range b.objects.Nodes {
		capacity, allocatable, err := b.nodeResources(n, pools)
		if err != nil {
			return nil, nil, err
		}
		taints := slices.Clone(n.Spec.Taints)
		if n.Spec.Unschedulable && !slices.ContainsFunc(taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeUnschedulable }) {
			// The node lifecycle controller taints a cordoned node; the solver reads taints only.
			taints = append(taints, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
		}
		pool := n.Labels[v1.NodePoolLabelKey]
		if pool != "" {
			usage.Add(pool, capacity)
		}
		nodes = append(nodes, &solver.Node{Name: n.Name, Labels: n.Labels, Taints: taints, Allocatable: allocatable, NodePool: pool})
	}
	return nodes, usage, nil
}

// nodeResources are a node's capacity and allocatable: from its status where set, otherwise computed for the
// catalogued instance type its node.kubernetes.io/instance-type label names, under its pool's EC2NodeClass.
// Capacity falls back to allocatable for a node of an unknown type.
func (b *snapshotBuilder) nodeResources(n *corev1.Node, pools []*v1.NodePool) (capacity, allocatable corev1.ResourceList, err error) {
	capacity, allocatable = n.Status.Capacity, n.Status.Allocatable
	if len(capacity) > 0 && len(allocatable) > 0 {
		return capacity, allocatable, nil
	}
	facts, ok := catalog.Lookup(n.Labels[corev1.LabelInstanceTypeStable])
	if !ok {
		if len(allocatable) > 0 {
			return allocatable, allocatable, nil
		}
		return nil, nil, fmt.Errorf("node %s has no status.allocatable, and no %s label naming a catalogued instance type to compute it from",
			n.Name, corev1.LabelInstanceTypeStable)
	}
	nc := b.defaultNodeClass("")
	if i := slices.IndexFunc(pools, func(np *v1.NodePool) bool { return np.Name == n.Labels[v1.NodePoolLabelKey] }); i >= 0 {
		if nc, err = b.nodeClass(pools[i]); err != nil {
			return nil, nil, err
		}
	}
	it := &cloudprovider.InstanceType{Capacity: instancetype.Capacity(facts, nc, instancetype.DefaultVMMemoryOverheadPercent)}
	pods := it.Capacity[corev1.ResourcePods]
	it.Overhead = cloudprovider.Overhead{
		KubeReserved:      instancetype.KubeReserved(facts.VCPU, pods.Value(), nc),
		SystemReserved:    instancetype.SystemReserved(nc),
		EvictionThreshold: instancetype.EvictionThreshold(it.Capacity, nc),
	}
	if len(capacity) == 0 {
		capacity = it.Capacity
	}
	if len(allocatable) == 0 {
		allocatable = it.Allocatable()
	}
	return capacity, allocatable, nil
}

// placePods hands each pod that has not finished to the node it is bound to, and returns the pending ones but
// for DaemonSet pods; then it adds to each node the pods of the DaemonSets that would run there and do not yet.
func (b *snapshotBuilder) placePods(nodes []*solver.Node, daemonSetPods []*corev1.Pod) []*corev1.Pod {
	byName := map[string]*solver.Node{}
	for _, n := range nodes {
		byName[n.Name] = n
	}
	var pending []*corev1.Pod
	elsewhere := 0
	for _, p := range b.objects.Pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		switch node, ok := byName[p.Spec.NodeName]; {
		case ok:
			node.Pods = append(node.Pods, p)
		case p.Spec.NodeName != "":
			elsewhere++
		case ownerKind(p) != "DaemonSet":
			// A pending DaemonSet pod waits for its node; the DaemonSet is counted on every node instead.
			pending = append(pending, p)
		}
	}
	if elsewhere > 0 {
		b.warn("left out %s bound to nodes the manifests do not define", plural(elsewhere, "pod"))
	}
	for _, n := range nodes {
		for _, ds := range daemonSetPods {
			if !hasPodOf(n, ds) && scheduling.RunsOn(ds, scheduling.FromLabels(n.Labels), n.Taints) {
				p := ds.DeepCopy()
				p.Name, p.Spec.NodeName = ds.Name+"-"+n.Name, n.Name
				n.Pods = append(n.Pods, p)
			}
		}
	}
	return pending
}

// ownerKind is the kind of the pod's controller, or "".
func ownerKind(p *corev1.Pod) string {
	if ref := metav1.GetControllerOf(p); ref != nil {
		return ref.Kind
	}
	return ""
}

// hasPodOf reports whether the node already runs a pod of the DaemonSet that daemonSetPod stands for.
func hasPodOf(n *solver.Node, daemonSetPod *corev1.Pod) bool {
	return slices.ContainsFunc(n.Pods, func(p *corev1.Pod) bool {
		ref := metav1.GetControllerOf(p)
		return ref != nil && ref.Kind == "DaemonSet" && ref.Name == daemonSetPod.Name && p.Namespace == daemonSetPod.Namespace
	})
}
