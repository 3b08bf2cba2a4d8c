package lifecycle_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

const gpu = corev1.ResourceName("nvidia.com/gpu")

// TestInitializationWaitsForTheNode walks a GPU node through the three things initialization waits for, one at a
// time, as a kubelet, a CNI and a device plugin would fix them.
func TestInitializationWaitsForTheNode(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	f.cloud.InstanceTypeList = f.cloud.InstanceTypeList[:0]
	f.cloud.InstanceTypeList = append(f.cloud.InstanceTypeList, m5Large(f.zone, corev1.ResourceList{gpu: resource.MustParse("1")}))
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer), withClaimTaints(nil, []v1.Taint{cniStartup}))
	test.ExpectReconciled(ctx, t, f.controller, nc)
	get(t, nc)
	n := node(t, nc, withNodeReady(corev1.ConditionFalse), test.WithTaints(cniStartup.ToCore()))

	steps := []struct {
		name       string
		fix        func(*corev1.Node)
		wantReason string
		wantText   string
	}{
		{"booting", nil, v1.ReasonNodeNotReady, "not Ready"},
		{"kubelet ready", func(n *corev1.Node) {
			n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		}, v1.ReasonStartupTaintsExist, cniStartup.Key},
		{"cni ready", func(n *corev1.Node) {
			n.Spec.Taints = nil
		}, v1.ReasonResourcesNotRegistered, string(gpu)},
		{"device plugin starting", func(n *corev1.Node) {
			n.Status.Allocatable[gpu] = resource.MustParse("0")
			n.Status.Capacity[gpu] = resource.MustParse("0")
		}, v1.ReasonResourcesNotRegistered, string(gpu)},
		{"device plugin registered", func(n *corev1.Node) {
			n.Status.Allocatable[gpu] = resource.MustParse("1")
			n.Status.Capacity[gpu] = resource.MustParse("1")
		}, "", ""},
	}
	for _, s := range steps {
		if s.fix != nil {
			get(t, n)
			s.fix(n)
			test.ExpectApplied(ctx, t, env.Client, n)
		}
		test.ExpectReconciled(ctx, t, f.controller, nc)
		get(t, nc)
		get(t, n)
		if s.wantReason == "" {
			break
		}
		c := condition(t, nc, v1.ConditionTypeInitialized)
		if c.Status != metav1.ConditionFalse || c.Reason != s.wantReason || !strings.Contains(c.Message, s.wantText) {
			t.Errorf("%s: Initialized = %s/%s %q, want False/%s naming %s", s.name, c.Status, c.Reason, c.Message, s.wantReason, s.wantText)
		}
		if n.Labels[v1.NodeInitializedLabelKey] != "" {
			t.Errorf("%s: node labelled initialized", s.name)
		}
	}
	expectCondition(t, nc, v1.ConditionTypeInitialized, metav1.ConditionTrue, v1.ConditionTypeInitialized)
	expectCondition(t, nc, "Ready", metav1.ConditionTrue, "Ready")
	if n.Labels[v1.NodeInitializedLabelKey] != "true" {
		t.Errorf("node labels = %v, want %s=true", n.Labels, v1.NodeInitializedLabelKey)
	}
	// The startup taint, once removed, is not put back.
	if len(n.Spec.Taints) != 0 {
		t.Errorf("node taints = %v, want none", n.Spec.Taints)
	}
	if got := f.metric(t, "stevedore_nodeclaims_initialized_total", map[string]string{"nodepool": pool}); got != 1 {
		t.Errorf("initialized_total = %v, want 1", got)
	}
}

// TestNoWritesWhenNothingChanged reconciles claims that are waiting, and one that is done, again: none costs a
// write.
func TestNoWritesWhenNothingChanged(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	waiting := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	done := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectReconciled(ctx, t, f.controller, waiting)
	test.ExpectReconciled(ctx, t, f.controller, done)
	node(t, get(t, done))
	test.ExpectReconciled(ctx, t, f.controller, done)
	test.ExpectReconciled(ctx, t, f.controller, done)
	expectCondition(t, get(t, done), "Ready", metav1.ConditionTrue, "Ready")

	f.writes.Store(0)
	before := map[string]string{}
	for _, nc := range []*v1.NodeClaim{waiting, done} {
		before[nc.Name] = get(t, nc).ResourceVersion
	}
	for _, nc := range []*v1.NodeClaim{waiting, done} {
		test.ExpectReconciled(ctx, t, f.controller, nc)
	}
	if n := f.writes.Load(); n != 0 {
		t.Errorf("%d writes reconciling unchanged claims, want 0", n)
	}
	for _, nc := range []*v1.NodeClaim{waiting, done} {
		if get(t, nc).ResourceVersion != before[nc.Name] {
			t.Errorf("nodeclaim %s changed on a no-op reconcile", nc.Name)
		}
	}
	var nodes corev1.NodeList
	if err := env.Client.List(ctx, &nodes, client.MatchingLabels{v1.NodeInitializedLabelKey: "true"}); err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) == 0 {
		t.Errorf("no node labelled initialized")
	}
}
