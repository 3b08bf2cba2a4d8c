package provisioning_test

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/state"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// metric is the value of a gauge or counter in the registry, summed over series whose labels include want.
func (f *fixture) metric(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	families, err := f.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			total += m.GetGauge().GetValue() + m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

func TestPendingDeploymentBecomesNodeClaimsOfTheCheapestType(t *testing.T) {
	f := setup(t)
	two := 2
	dedicated := v1.Taint{Key: "dedicated", Value: "test", Effect: corev1.TaintEffectNoSchedule}
	startup := v1.Taint{Key: "example.com/cni-not-ready", Effect: corev1.TaintEffectNoSchedule}
	pool := test.NodePool("class", test.WithNodePoolSpec(func(s *v1.NodePoolSpec) {
		s.Template.ObjectMeta.Labels = map[string]v1.LabelValue{"team": "a"}
		s.Template.ObjectMeta.Annotations = map[string]string{"example.com/owner": "team-a"}
		s.Template.Spec.Taints, s.Template.Spec.StartupTaints = []v1.Taint{dedicated}, []v1.Taint{startup}
		s.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{{
			Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"small", "medium", "large"}, MinValues: &two,
		}}
	}))
	test.ExpectApplied(f.ctx, t, env.Client, pool)
	pendingDeployment(f.ctx, t, 4, test.WithRequests("1", "1Gi"), test.WithToleration("dedicated", "", corev1.TaintEffectNoSchedule))

	r := f.provision(t)
	if r.Pods != 4 {
		t.Fatalf("batch of %d pods, want the deployment's 4", r.Pods)
	}
	claims := f.nodeClaims(t)
	if len(claims) != 1 {
		t.Fatalf("created %d nodeclaims, want 1 (one medium, $0.18, holds the 4 cores that two smalls, $0.20, would)", len(claims))
	}
	nc := claims[0]
	if !strings.HasPrefix(nc.Name, pool.Name+"-") || len(nc.Name) != len(pool.Name)+6 {
		t.Errorf("name %s, want %s-<5 random characters>", nc.Name, pool.Name)
	}
	for k, want := range map[string]string{v1.NodePoolLabelKey: pool.Name, corev1.LabelInstanceTypeStable: "medium", "team": "a", corev1.LabelTopologyZone: zone} {
		if nc.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, nc.Labels[k], want)
		}
	}
	if nc.Annotations["example.com/owner"] != "team-a" {
		t.Errorf("annotations %v, want the template's", nc.Annotations)
	}
	if !slices.Contains(nc.Finalizers, v1.TerminationFinalizer) {
		t.Errorf("finalizers %v, want the termination finalizer", nc.Finalizers)
	}
	if len(nc.OwnerReferences) != 1 || nc.OwnerReferences[0].UID != pool.UID || nc.OwnerReferences[0].Kind != "NodePool" {
		t.Errorf("owner references %v, want the pool", nc.OwnerReferences)
	}
	i := slices.IndexFunc(nc.Spec.Requirements, func(r v1.NodeSelectorRequirementWithMinValues) bool { return r.Key == corev1.LabelInstanceTypeStable })
	if i < 0 {
		t.Fatalf("requirements %v lack the instance type", nc.Spec.Requirements)
	}
	if it := nc.Spec.Requirements[i]; !slices.Equal(it.Values, []string{"medium", "large"}) || it.MinValues == nil || *it.MinValues != 2 {
		t.Errorf("instance-type requirement %+v, want In [medium large] (the types that fit, cheapest first) keeping minValues 2", it)
	}
	// The labels the types define are narrowed to the options' values, not pinned to the cheapest option's.
	i = slices.IndexFunc(nc.Spec.Requirements, func(r v1.NodeSelectorRequirementWithMinValues) bool { return r.Key == labelCPU })
	if i < 0 || !slices.Equal(nc.Spec.Requirements[i].Values, []string{"4", "8"}) {
		t.Errorf("requirements %+v, want %s In [4 8]", nc.Spec.Requirements, labelCPU)
	}
	if got := nc.Spec.Resources.Requests[corev1.ResourceCPU]; !got.Equal(resource.MustParse("4")) {
		t.Errorf("requests cpu %v, want the 4 pods' 4", got.String())
	}
	if !slices.Equal(nc.Spec.Taints, []v1.Taint{dedicated}) || !slices.Equal(nc.Spec.StartupTaints, []v1.Taint{startup}) {
		t.Errorf("taints %v, startup taints %v, want the template's", nc.Spec.Taints, nc.Spec.StartupTaints)
	}
	if nc.Spec.NodeClassRef == nil || nc.Spec.NodeClassRef.Name != "class" {
		t.Errorf("nodeClassRef %v, want the template's", nc.Spec.NodeClassRef)
	}
	ev := f.events()
	if got := countPrefix(ev, "Normal Nominated Pod should schedule on NodeClaim "+nc.Name); got != 4 {
		t.Errorf("%d pods nominated to %s, want 4; events %q", got, nc.Name, ev)
	}
	if got := f.metric(t, "stevedore_nodeclaims_created_total", map[string]string{"nodepool": pool.Name}); got != 1 {
		t.Errorf("stevedore_nodeclaims_created_total = %v, want 1", got)
	}
	if got := f.metric(t, "stevedore_provisioner_pod_nomination_latency_seconds", nil); got != 4 {
		t.Errorf("nomination latency observed %v times, want once per pod", got)
	}
}

func TestNominatedPodsAreNotProvisionedTwice(t *testing.T) {
	f := setup(t)
	test.ExpectApplied(f.ctx, t, env.Client, test.NodePool("class"))
	pendingDeployment(f.ctx, t, 4, test.WithRequests("1", "1Gi"))
	f.provision(t)
	claims := f.nodeClaims(t)
	if len(claims) != 1 {
		t.Fatalf("first batch created %d nodeclaims, want 1", len(claims))
	}
	f.events()

	// The pods are still pending (no node has joined), but nominated: the next batch leaves them be.
	if r := f.provision(t); r.Pods != 0 || len(f.nodeClaims(t)) != 1 {
		t.Errorf("second batch saw %d pods and left %d nodeclaims, want 0 and still 1", r.Pods, len(f.nodeClaims(t)))
	}

	// Once the nominations lapse, the pods are solved again and land on the claim still in flight.
	env.Clock.Step(state.DefaultNominationTTL)
	r := f.provision(t)
	if r.Pods != 4 || len(f.nodeClaims(t)) != 1 {
		t.Fatalf("after the nominations lapsed: %d pods, %d nodeclaims; want 4 pods and still 1 nodeclaim", r.Pods, len(f.nodeClaims(t)))
	}
	if len(r.Plan.Existing) != 1 || r.Plan.Existing[0].Node != claims[0].Name || len(r.Plan.Existing[0].Pods) != 4 {
		t.Errorf("placements %+v, want all 4 pods on the in-flight claim %s", r.Plan.Existing, claims[0].Name)
	}
	if ev := f.events(); len(ev) != 0 {
		t.Errorf("repeated events %q, want the nominations already published left out", ev)
	}
}

func TestPodsThatFitAnExistingNodeGetNoNodeClaim(t *testing.T) {
	f := setup(t)
	test.ExpectApplied(f.ctx, t, env.Client, test.NodePool("class"))
	node := readyNode(f.ctx, t, test.WithAllocatable(corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"), corev1.ResourcePods: resource.MustParse("110"),
	}))
	test.ExpectApplied(f.ctx, t, env.Client, test.Pod(test.WithNodeName(node.Name), test.WithRequests("2", "1Gi")))
	f.sync(t)
	pendingDeployment(f.ctx, t, 2, test.WithRequests("1", "1Gi"))

	r := f.provision(t)
	if n := len(f.nodeClaims(t)); n != 0 {
		t.Fatalf("created %d nodeclaims, want none: the node has 2 cores free", n)
	}
	if len(r.Plan.Existing) != 1 || r.Plan.Existing[0].Node != node.Name || len(r.Plan.Existing[0].Pods) != 2 {
		t.Errorf("placements %+v, want both pods on %s", r.Plan.Existing, node.Name)
	}
	if got := countPrefix(f.events(), "Normal Nominated Pod should schedule on node "+node.Name); got != 2 {
		t.Errorf("%d Nominated events naming the node, want 2", got)
	}
	// A third pod no longer fits beside the two nominated ones.
	pendingDeployment(f.ctx, t, 1, test.WithRequests("1", "1Gi"))
	if r := f.provision(t); r.Pods != 1 || len(f.nodeClaims(t)) != 1 {
		t.Errorf("third pod: batch of %d, %d nodeclaims; want 1 and 1", r.Pods, len(f.nodeClaims(t)))
	}
}

func TestDaemonSetBoundFinishedDeletingAndPreemptingPodsAreIgnored(t *testing.T) {
	f := setup(t)
	test.ExpectApplied(f.ctx, t, env.Client, test.NodePool("class"))
	ds := test.DaemonSet()
	test.ExpectApplied(f.ctx, t, env.Client, ds)
	node := readyNode(f.ctx, t)
	f.sync(t)
	daemon := test.Pod(test.WithOwner(ds, "DaemonSet"))
	bound := test.Pod(test.WithNodeName(node.Name))
	failed := test.Pod()
	failed.Status.Phase = corev1.PodFailed
	deleting := test.Pod(test.WithFinalizers("example.com/hold"))
	scheduled := test.Pod() // never marked unschedulable: the kube-scheduler has not tried yet
	preempting := test.Pod()
	preempting.Status.NominatedNodeName = node.Name
	for _, p := range []*corev1.Pod{daemon, bound, failed, deleting, preempting} {
		unschedulable(p)
	}
	test.ExpectApplied(f.ctx, t, env.Client, daemon, bound, failed, deleting, scheduled, preempting)
	test.ExpectDeleted(f.ctx, t, env.Client, deleting)

	if r := f.provision(t); r.Pods != 0 || len(f.nodeClaims(t)) != 0 {
		t.Errorf("batch of %d pods made %d nodeclaims, want nothing provisionable", r.Pods, len(f.nodeClaims(t)))
	}
	if got := f.metric(t, "stevedore_pods_provisionable", nil); got != 0 {
		t.Errorf("stevedore_pods_provisionable = %v, want 0", got)
	}
	test.ExpectExists(f.ctx, t, env.Client, deleting)
	deleting.Finalizers = nil
	if err := env.Client.Update(f.ctx, deleting); client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
}

func TestPoolAtItsLimitCreatesNothingAndSaysWhy(t *testing.T) {
	f := setup(t)
	pool := test.NodePool("class", test.WithNodePoolSpec(func(s *v1.NodePoolSpec) {
		s.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
	}))
	test.ExpectApplied(f.ctx, t, env.Client, pool)
	pendingDeployment(f.ctx, t, 1, test.WithRequests("3", "1Gi"))

	r := f.provision(t)
	if len(f.nodeClaims(t)) != 0 || len(r.Plan.Unschedulable) != 1 {
		t.Fatalf("%d nodeclaims, %d unschedulable; want none created and the pod unschedulable", len(f.nodeClaims(t)), len(r.Plan.Unschedulable))
	}
	ev := f.events()
	if countPrefix(ev, "Warning FailedProvisioning Cannot provision capacity: no existing node has room and NodePool "+pool.Name+" would exceed its cpu limit") != 1 {
		t.Errorf("events %q, want FailedProvisioning on the pod naming the pool's cpu limit", ev)
	}
	if countPrefix(ev, "Warning LimitReached") != 1 {
		t.Errorf("events %q, want LimitReached on the pool", ev)
	}
	f.provision(t)
	if ev := f.events(); len(ev) != 0 {
		t.Errorf("the next batch repeated %q, want the same events left out", ev)
	}
	env.Clock.Step(provisioning.DefaultEventTTL)
	f.provision(t)
	if ev := f.events(); len(ev) != 2 {
		t.Errorf("after the event TTL: %q, want the pod's and the pool's events again", ev)
	}
}

func TestUnsyncedStateDoesNotSolve(t *testing.T) {
	f := setup(t)
	test.ExpectApplied(f.ctx, t, env.Client, test.NodePool("class"))
	node := readyNode(f.ctx, t)
	pendingDeployment(f.ctx, t, 1)

	// The model has not seen the node: a solve now would launch for a pod the node can take.
	if r := f.provision(t); r.Synced || r.Plan != nil || len(f.nodeClaims(t)) != 0 {
		t.Fatalf("unsynced batch: synced %v, plan %v, %d nodeclaims; want no solve", r.Synced, r.Plan, len(f.nodeClaims(t)))
	}
	f.sync(t)
	r := f.provision(t)
	if !r.Synced || len(r.Plan.Existing) != 1 || r.Plan.Existing[0].Node != node.Name || len(f.nodeClaims(t)) != 0 {
		t.Errorf("synced batch placed %+v with %d nodeclaims, want the pod on %s", r.Plan, len(f.nodeClaims(t)), node.Name)
	}
}

func TestPoolsWhoseNodeClassIsNotReadyAreSkipped(t *testing.T) {
	f := setup(t)
	pool := test.NodePool("class")
	pool.Status.Conditions = []metav1.Condition{{
		Type: v1.ConditionTypeNodeClassReady, Status: metav1.ConditionFalse, Reason: "NodeClassNotReady", Message: "no subnets",
		LastTransitionTime: metav1.NewTime(env.Clock.Now()),
	}}
	test.ExpectApplied(f.ctx, t, env.Client, pool)
	pendingDeployment(f.ctx, t, 1)

	r := f.provision(t)
	if len(f.nodeClaims(t)) != 0 || len(r.Plan.Unschedulable) != 1 {
		t.Fatalf("%d nodeclaims, plan %+v; want nothing launched from the pool", len(f.nodeClaims(t)), r.Plan)
	}
	ev := f.events()
	if countPrefix(ev, "Warning NodePoolSkipped NodePool is not used for provisioning: NodeClassReady is False") != 1 {
		t.Errorf("events %q, want NodePoolSkipped on the pool", ev)
	}
	if countPrefix(ev, "Warning FailedProvisioning") != 1 {
		t.Errorf("events %q, want FailedProvisioning on the pod", ev)
	}
}
