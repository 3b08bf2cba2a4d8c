package status_test

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodepool/status"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

func controller() *status.Controller {
	return status.NewController(env.Client, status.NodeClassKinds{
		schema.GroupKind{Group: awsv1.Group, Kind: "EC2NodeClass"}: awsv1.SchemeGroupVersion.Version,
	})
}

func condition(t *testing.T, pool *v1.NodePool, typ string) *metav1.Condition {
	t.Helper()
	test.ExpectExists(test.Context(t), t, env.Client, pool)
	return meta.FindStatusCondition(pool.Status.Conditions, typ)
}

// setClassReady sets the node class's Ready condition as its controller would.
func setClassReady(t *testing.T, nc *awsv1.EC2NodeClass, s metav1.ConditionStatus, message string) {
	t.Helper()
	ctx := test.Context(t)
	test.ExpectExists(ctx, t, env.Client, nc)
	reason := "Ready"
	if s != metav1.ConditionTrue {
		reason = "SubnetsNotFound"
	}
	meta.SetStatusCondition(&nc.Status.Conditions, metav1.Condition{Type: conditions.Ready, Status: s, Reason: reason, Message: message})
	if err := env.Client.Status().Update(ctx, nc); err != nil {
		t.Fatal(err)
	}
}

func TestReadyFollowsTheNodeClass(t *testing.T) {
	ctx := test.Context(t)
	c := controller()
	nc := test.EC2NodeClass()
	pool := test.NodePool(nc.Name)
	test.ExpectApplied(ctx, t, env.Client, pool)
	t.Cleanup(func() { _ = env.Client.Delete(context.WithoutCancel(ctx), pool) })

	test.ExpectReconciled(ctx, t, c, pool)
	got := condition(t, pool, v1.ConditionTypeNodeClassReady)
	if got == nil || got.Status != metav1.ConditionFalse || got.Reason != status.ReasonNodeClassNotFound {
		t.Fatalf("missing node class: NodeClassReady = %+v, want False/%s", got, status.ReasonNodeClassNotFound)
	}
	if r := condition(t, pool, conditions.Ready); r.Status != metav1.ConditionFalse {
		t.Errorf("missing node class: Ready = %s, want False", r.Status)
	}

	test.ExpectApplied(ctx, t, env.Client, nc)
	t.Cleanup(func() { _ = env.Client.Delete(context.WithoutCancel(ctx), nc) })
	setClassReady(t, nc, metav1.ConditionFalse, "no subnet matches spec.subnetSelectorTerms")
	test.ExpectReconciled(ctx, t, c, pool)
	if got := condition(t, pool, v1.ConditionTypeNodeClassReady); got.Reason != status.ReasonNodeClassNotReady || got.Message == "" {
		t.Errorf("node class not ready: NodeClassReady = %+v, want the class's message passed on", got)
	}

	setClassReady(t, nc, metav1.ConditionTrue, "")
	test.ExpectReconciled(ctx, t, c, pool)
	if r := condition(t, pool, conditions.Ready); r.Status != metav1.ConditionTrue {
		t.Errorf("node class ready: pool Ready = %+v, want True", r)
	}

	before := pool.ResourceVersion
	test.ExpectReconciled(ctx, t, c, pool)
	test.ExpectExists(ctx, t, env.Client, pool)
	if pool.ResourceVersion != before {
		t.Error("an unchanged pool was written again")
	}
}

func TestResourcesSumTheClaims(t *testing.T) {
	ctx := test.Context(t)
	c := controller()
	pool := test.NodePool("default")
	test.ExpectApplied(ctx, t, env.Client, pool)
	t.Cleanup(func() { _ = env.Client.Delete(context.WithoutCancel(ctx), pool) })

	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi")}
	var claims []*v1.NodeClaim
	for range 3 {
		claim := test.NodeClaim(pool.Name, "default", test.WithFinalizers("test.stevedore.dev/hold"))
		test.ExpectApplied(ctx, t, env.Client, claim)
		claim.Status.Capacity = capacity
		if err := env.Client.Status().Update(ctx, claim); err != nil {
			t.Fatal(err)
		}
		claims = append(claims, claim)
	}
	other := test.NodeClaim("other-pool", "default")
	test.ExpectApplied(ctx, t, env.Client, other)
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		for _, claim := range append(claims, other) {
			claim.Finalizers = nil
			_ = env.Client.Update(ctx, claim)
			_ = env.Client.Delete(ctx, claim)
		}
	})
	// A claim being deleted no longer counts against the pool's limits.
	if err := env.Client.Delete(ctx, claims[2]); err != nil {
		t.Fatal(err)
	}

	test.ExpectReconciled(ctx, t, c, pool)
	test.ExpectExists(ctx, t, env.Client, pool)
	want := map[corev1.ResourceName]string{"nodes": "2", corev1.ResourceCPU: "4", corev1.ResourceMemory: "16Gi"}
	for name, w := range want {
		got := pool.Status.Resources[name]
		if got.Cmp(resource.MustParse(w)) != 0 {
			t.Errorf("status.resources[%s] = %s, want %s", name, got.String(), w)
		}
	}
}

func TestRegister(t *testing.T) {
	mgr, err := manager.New(env.Config, manager.Options{Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := controller().Register(mgr); err != nil {
		t.Fatalf("Register: %v", err)
	}
}
