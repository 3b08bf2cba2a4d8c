package state_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/solver"
	"github.com/stevedore-dev/stevedore/pkg/state"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestSyncedWaitsForEveryNodeAndNodeClaim(t *testing.T) {
	f := setup(t)
	if !f.cluster.Synced(f.ctx) {
		t.Fatal("an empty model of an empty cluster is not synced")
	}
	node := test.Node()
	test.ExpectApplied(f.ctx, t, env.Client, node)
	if f.cluster.Synced(f.ctx) {
		t.Error("synced although the model has not seen a node the API has")
	}
	f.cluster.UpdateNode(node)
	claim := test.NodeClaim("pool", "class")
	test.ExpectApplied(f.ctx, t, env.Client, claim)
	if f.cluster.Synced(f.ctx) {
		t.Error("synced although the model has not seen a nodeclaim the API has")
	}
	f.cluster.UpdateNodeClaim(claim)
	if !f.cluster.Synced(f.ctx) {
		t.Error("not synced although the model has seen everything")
	}
	// A claim the provisioner just created is known to the model before the cache: that is not unsynced.
	f.cluster.UpdateNodeClaim(&v1.NodeClaim{})
	if !f.cluster.Synced(f.ctx) {
		t.Error("a claim the cache has not delivered yet made the model unsynced")
	}
}

// withClaimSpec edits a NodeClaim's spec.
func withClaimSpec(edit func(*v1.NodeClaimSpec)) test.Option {
	return func(o client.Object) { edit(&o.(*v1.NodeClaim).Spec) }
}

func withClaimStatus(providerID string, capacity, allocatable corev1.ResourceList) test.Option {
	return func(o client.Object) {
		s := &o.(*v1.NodeClaim).Status
		s.ProviderID, s.Capacity, s.Allocatable = providerID, capacity, allocatable
	}
}

func TestSnapshotModelsNodesAndInFlightClaims(t *testing.T) {
	f := setup(t)
	np := test.NodePool("class")
	test.ExpectApplied(f.ctx, t, env.Client, np)
	ds := test.DaemonSet(test.WithToleration("dedicated", "", corev1.TaintEffectNoSchedule))
	test.ExpectApplied(f.ctx, t, env.Client, ds)
	startup := v1.Taint{Key: "example.com/startup", Effect: corev1.TaintEffectNoSchedule}
	dedicated := v1.Taint{Key: "dedicated", Value: "x", Effect: corev1.TaintEffectNoSchedule}

	existing := test.Node(test.WithLabels(v1.NodePoolLabelKey, np.Name))
	bound := test.Pod(test.WithNodeName(existing.Name), test.WithRequests("1", ""))
	launched := test.NodeClaim(np.Name, "class", withClaimSpec(func(s *v1.NodeClaimSpec) {
		s.Taints, s.StartupTaints = []v1.Taint{dedicated}, []v1.Taint{startup}
	}), withClaimStatus("fake:///test-1a/i-1", cpu("4"), cpu("3")))
	unlaunched := test.NodeClaim(np.Name, "class", withClaimSpec(func(s *v1.NodeClaimSpec) {
		s.Requirements = []v1.NodeSelectorRequirementWithMinValues{
			test.Requirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, "small", "large"),
		}
	}))
	registered := test.NodeClaim(np.Name, "class", withClaimSpec(func(s *v1.NodeClaimSpec) { s.StartupTaints = []v1.Taint{startup} }),
		withClaimStatus("fake:///test-1a/i-2", cpu("4"), cpu("4")))
	joined := test.Node(test.WithLabels(v1.NodePoolLabelKey, np.Name), test.WithTaints(startup.ToCore(),
		corev1.Taint{Key: v1.UnregisteredTaintKey, Effect: corev1.TaintEffectNoExecute}))
	joined.Spec.ProviderID = "fake:///test-1a/i-2"
	deleting := test.NodeClaim(np.Name, "class", test.WithFinalizers(v1.TerminationFinalizer), withClaimStatus("fake:///test-1a/i-3", cpu("2"), cpu("2")))
	test.ExpectApplied(f.ctx, t, env.Client, existing, bound, launched, unlaunched, registered, joined, deleting)
	test.ExpectDeleted(f.ctx, t, env.Client, deleting)
	existing.Spec.Taints = nil // the API server's not-ready taint, which the node lifecycle controller would lift
	if err := env.Client.Update(f.ctx, existing); err != nil {
		t.Fatal(err)
	}
	f.sync(t)

	s, skipped, err := f.cluster.Snapshot(f.ctx, nil, []*v1.NodePool{np}, solver.Options{})
	if err != nil || len(skipped) != 0 {
		t.Fatalf("Snapshot: %v, skipped %v", err, skipped)
	}
	nodes := map[string]*solver.Node{}
	for _, n := range s.Nodes {
		nodes[n.Name] = n
	}
	want := []string{existing.Name, joined.Name, launched.Name, unlaunched.Name}
	if len(nodes) != len(want) {
		t.Fatalf("modelled %d nodes, want %v (the registered claim as its node, the deleting claim not at all)", len(nodes), want)
	}
	for _, name := range want {
		if nodes[name] == nil {
			t.Fatalf("node %s missing from %v", name, nodes)
		}
	}
	if n := nodes[existing.Name]; len(n.Pods) != 1 || n.Pods[0].Name != bound.Name || n.InFlight || n.NodePool != np.Name {
		t.Errorf("existing node: pods %d, in flight %v, pool %q; want its bound pod, not in flight, pool %s", len(n.Pods), n.InFlight, n.NodePool, np.Name)
	}
	if n := nodes[launched.Name]; !n.InFlight || !slices.Equal(n.Taints, []corev1.Taint{dedicated.ToCore()}) || !n.Allocatable.Cpu().Equal(resource.MustParse("3")) {
		t.Errorf("launched claim: in flight %v, taints %v, cpu %v; want in flight, only its lasting taint, status.allocatable", n.InFlight, n.Taints, n.Allocatable.Cpu())
	}
	if n := nodes[launched.Name]; len(n.Pods) != 1 || n.Pods[0].Name != ds.Name {
		t.Errorf("launched claim: pods %v, want the DaemonSet's pod that will run there", n.Pods)
	}
	// Before launch the claim offers what every type it allows has: small's 2 cores less 100m.
	if n := nodes[unlaunched.Name]; !n.Allocatable.Cpu().Equal(resource.MustParse("1900m")) || !n.Allocatable.Memory().Equal(resource.MustParse("4Gi")) {
		t.Errorf("unlaunched claim allocatable %v, want the least of small and large", n.Allocatable)
	}
	if n := nodes[joined.Name]; len(n.Taints) != 0 {
		t.Errorf("uninitialized node taints %v, want its startup and unregistered taints left out", n.Taints)
	}
	if n := nodes[joined.Name]; len(n.Pods) != 1 || n.Pods[0].Name != ds.Name {
		t.Errorf("uninitialized node pods %v, want the DaemonSet's pod it will run", n.Pods)
	}
	if n := nodes[existing.Name]; slices.ContainsFunc(n.Pods, func(p *corev1.Pod) bool { return p.Name == ds.Name }) {
		t.Errorf("initialized node %s given a DaemonSet pod the DaemonSet controller has not placed: its absence is real", n.Name)
	}
	// Usage: existing 4 + joined 4 + launched 4 + unlaunched at most large's 8 + deleting 2.
	usage := s.NodePools[0].Usage
	if nodesUsed, cpuUsed := usage[state.ResourceNodes], usage[corev1.ResourceCPU]; nodesUsed.Value() != 5 || !cpuUsed.Equal(resource.MustParse("22")) {
		t.Errorf("usage %v, want 5 nodes and 22 cpu", usage)
	}
}

func TestNominationsHoldUntilBoundExpiredOrTargetGone(t *testing.T) {
	f := setup(t)
	claim := test.NodeClaim("pool", "class", withClaimStatus("fake:///test-1a/i-1", cpu("4"), cpu("4")))
	node := test.Node()
	pod := test.Pod()
	test.ExpectApplied(f.ctx, t, env.Client, claim, node, pod)
	f.sync(t)
	key := client.ObjectKeyFromObject(pod)
	nominatedTo := func() string {
		target, _ := f.cluster.NominatedTo(key)
		return target
	}

	f.cluster.Nominate(claim.Name, key)
	if got := nominatedTo(); got != claim.Name {
		t.Fatalf("nominated to %q, want %s", got, claim.Name)
	}
	podsOn := func(pending []*corev1.Pod) int {
		s, _, err := f.cluster.Snapshot(f.ctx, pending, nil, solver.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range s.Nodes {
			if n.Name == claim.Name {
				return len(n.Pods)
			}
		}
		t.Fatalf("claim %s not in the snapshot", claim.Name)
		return 0
	}
	if got := podsOn(nil); got != 1 {
		t.Errorf("claim holds %d pods, want the nominated one", got)
	}
	if got := podsOn([]*corev1.Pod{pod}); got != 0 {
		t.Errorf("claim holds %d pods while its nominated pod is being placed again, want 0", got)
	}

	env.Clock.Step(state.DefaultNominationTTL)
	if got := nominatedTo(); got != "" {
		t.Errorf("nomination outlived its TTL: %q", got)
	}

	f.cluster.Nominate(claim.Name, key)
	f.cluster.DeleteNodeClaim(claim.Name)
	if got := nominatedTo(); got != "" {
		t.Errorf("nomination outlived its claim: %q", got)
	}

	f.cluster.Nominate(node.Name, key)
	bound := pod.DeepCopy()
	bound.Spec.NodeName = node.Name
	f.cluster.UpdatePod(bound)
	if got := nominatedTo(); got != "" {
		t.Errorf("nomination outlived the pod's binding: %q", got)
	}

	f.cluster.Nominate(node.Name, key)
	node.Finalizers = []string{"example.com/hold"}
	test.ExpectApplied(f.ctx, t, env.Client, node)
	test.ExpectDeleted(f.ctx, t, env.Client, node)
	test.ExpectExists(f.ctx, t, env.Client, node)
	f.cluster.UpdateNode(node)
	if got := nominatedTo(); got != "" {
		t.Errorf("nomination to a node being deleted still holds: %q", got)
	}
	node.Finalizers = nil
	if err := env.Client.Update(f.ctx, node); err != nil {
		t.Fatal(err)
	}

	f.cluster.Nominate(node.Name, types.NamespacedName{Namespace: "default", Name: "other"})
	f.cluster.ExpireNominations()
	if _, ok := f.cluster.NominatedTo(types.NamespacedName{Namespace: "default", Name: "other"}); ok {
		t.Error("ExpireNominations kept a nomination to a node being deleted")
	}
}

// notReady is the fake cloud provider with some pools' node classes not ready.
type notReady struct {
	cloudprovider.CloudProvider
	pools map[string]bool
}

func (n notReady) InstanceTypes(ctx context.Context, np *v1.NodePool) ([]*cloudprovider.InstanceType, error) {
	if n.pools[np.Name] {
		return nil, cloudprovider.NewNodeClassNotReadyError(errors.New("no subnets resolved"))
	}
	return n.CloudProvider.InstanceTypes(ctx, np)
}

func TestSnapshotLeavesOutPoolsWhoseNodeClassIsNotReady(t *testing.T) {
	f := setup(t)
	ready, waiting := test.NodePool("class"), test.NodePool("class")
	cluster := state.New(env.Client, notReady{f.cloud, map[string]bool{waiting.Name: true}}, env.Clock, state.Options{})
	s, skipped, err := cluster.Snapshot(f.ctx, nil, []*v1.NodePool{ready, waiting}, solver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.NodePools) != 1 || s.NodePools[0].NodePool.Name != ready.Name || len(s.NodePools[0].InstanceTypes) != 2 {
		t.Errorf("pools %v, want only %s with its two instance types", s.NodePools, ready.Name)
	}
	if len(skipped) != 1 || skipped[0].NodePool != waiting.Name || !cloudprovider.IsNodeClassNotReadyError(skipped[0].Err) {
		t.Errorf("skipped %v, want %s with its node class error", skipped, waiting.Name)
	}
}

// A pod nominated to a NodeClaim that is still pending once the node has been initialized for a while did not
// fit there (the kube-scheduler put other pods in its place): its nomination lapses at once, so it gets
// capacity of its own without waiting out the nomination TTL.
func TestNominationLapsesOnceTheTargetIsInitialized(t *testing.T) {
	f := setup(t)
	node := test.Node()
	pod := test.Pod()
	test.ExpectApplied(f.ctx, t, env.Client, node, pod)
	f.sync(t)
	key := client.ObjectKeyFromObject(pod)
	f.cluster.Nominate(node.Name, key)

	initialized := node.DeepCopy()
	initialized.Labels[v1.NodeInitializedLabelKey] = "true"
	initialized.ResourceVersion = "" // as a newer version would be
	f.cluster.UpdateNode(initialized)
	env.Clock.Step(state.NominationGraceAfterInitialized - time.Second)
	if _, ok := f.cluster.NominatedTo(key); !ok {
		t.Fatal("the nomination lapsed before the scheduler had its chance")
	}
	env.Clock.Step(time.Second)
	if target, ok := f.cluster.NominatedTo(key); ok {
		t.Errorf("still nominated to %s %s after it initialized", target, state.NominationGraceAfterInitialized)
	}
}
