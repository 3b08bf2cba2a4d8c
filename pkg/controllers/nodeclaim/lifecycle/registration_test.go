package lifecycle_test

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var (
	dedicated  = v1.Taint{Key: "example.com/dedicated", Value: "batch", Effect: corev1.TaintEffectNoSchedule}
	cniStartup = v1.Taint{Key: "example.com/cni-not-ready", Effect: corev1.TaintEffectNoSchedule}
)

func TestRegistrationWaitsForTheNode(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectReconciled(ctx, t, f.controller, nc)

	res := test.ExpectReconciled(ctx, t, f.controller, nc)
	if res.RequeueAfter <= 0 {
		t.Errorf("result %+v, want a requeue while the node is missing", res)
	}
	get(t, nc)
	expectCondition(t, nc, v1.ConditionTypeRegistered, metav1.ConditionFalse, v1.ReasonNodeNotFound)
	expectCondition(t, nc, "Ready", metav1.ConditionFalse, v1.ReasonNodeNotFound)
	if nc.Status.NodeName != "" {
		t.Errorf("nodeName = %q before any node registered", nc.Status.NodeName)
	}
	// A node of another instance does not count.
	node(t, &v1.NodeClaim{Status: v1.NodeClaimStatus{ProviderID: "fake:///" + f.zone + "/i-other"}})
	test.ExpectReconciled(ctx, t, f.controller, nc)
	expectCondition(t, get(t, nc), v1.ConditionTypeRegistered, metav1.ConditionFalse, v1.ReasonNodeNotFound)
}

func TestRegistrationAdoptsTheNode(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer), test.WithLabels("team", "data"),
		withClaimTaints([]v1.Taint{dedicated}, []v1.Taint{cniStartup}))
	test.ExpectReconciled(ctx, t, f.controller, nc)
	get(t, nc)
	// The node comes up with the startup taint from its user data, but not (say) the claim's own taint.
	n := node(t, nc, test.WithTaints(cniStartup.ToCore()))
	test.ExpectReconciled(ctx, t, f.controller, nc)

	get(t, n)
	if !slices.ContainsFunc(n.OwnerReferences, func(r metav1.OwnerReference) bool {
		return r.Kind == "NodeClaim" && r.Name == nc.Name && r.UID == nc.UID && r.APIVersion == "stevedore.dev/v1"
	}) {
		t.Errorf("owner references = %+v, want the nodeclaim %s", n.OwnerReferences, nc.Name)
	}
	if !controllerutil.ContainsFinalizer(n, v1.TerminationFinalizer) {
		t.Errorf("node finalizers = %v, want %s", n.Finalizers, v1.TerminationFinalizer)
	}
	for k, want := range map[string]string{
		v1.NodeRegisteredLabelKey: "true", v1.NodePoolLabelKey: pool, "team": "data",
		corev1.LabelInstanceTypeStable: "m5.large", v1.CapacityTypeLabelKey: v1.CapacityTypeOnDemand,
	} {
		if got := n.Labels[k]; got != want {
			t.Errorf("node label %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := n.Labels[v1.NodeInitializedLabelKey]; ok {
		t.Errorf("node labelled initialized while its startup taint is on")
	}
	// The API server's admission may add its own not-ready taint; only Stevedore's taints are checked.
	keys := taintKeys(n)
	if !slices.Contains(keys, cniStartup.Key) || !slices.Contains(keys, dedicated.Key) || slices.Contains(keys, v1.UnregisteredTaintKey) {
		t.Errorf("node taints = %v, want the claim's taint and the startup taint, without %s", keys, v1.UnregisteredTaintKey)
	}

	get(t, nc)
	if nc.Status.NodeName != n.Name {
		t.Errorf("nodeName = %q, want %q", nc.Status.NodeName, n.Name)
	}
	expectCondition(t, nc, v1.ConditionTypeRegistered, metav1.ConditionTrue, v1.ConditionTypeRegistered)
	expectCondition(t, nc, v1.ConditionTypeInitialized, metav1.ConditionFalse, v1.ReasonStartupTaintsExist)
	if got := f.metric(t, "stevedore_nodeclaims_registered_total", map[string]string{"nodepool": pool}); got != 1 {
		t.Errorf("registered_total = %v, want 1", got)
	}
	if got := f.metric(t, "stevedore_nodeclaims_registration_duration_seconds", map[string]string{"nodepool": pool}); got != 1 {
		t.Errorf("registration_duration_seconds samples = %v, want 1", got)
	}
	f.expectEvent(t, "Registered", n.Name)
}

func taintKeys(n *corev1.Node) []string {
	var keys []string
	for _, t := range n.Spec.Taints {
		keys = append(keys, t.Key)
	}
	slices.Sort(keys)
	return keys
}
