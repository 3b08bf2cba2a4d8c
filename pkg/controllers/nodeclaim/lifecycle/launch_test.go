package lifecycle_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// annotating is the fake cloud provider returning an annotation with each launch, as the AWS provider returns
// its node class hash.
type annotating struct{ *fake.CloudProvider }

func (a annotating) Create(ctx context.Context, nc *v1.NodeClaim) (*v1.NodeClaim, error) {
	out, err := a.CloudProvider.Create(ctx, nc)
	if out != nil {
		out.Annotations = map[string]string{"example.com/hash": "42"}
	}
	return out, err
}

func TestLaunchRecordsTheInstance(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t) // without the termination finalizer: the controller adds it
	test.ExpectReconciled(ctx, t, f.controller, nc)

	get(t, nc)
	if len(f.cloud.CreateCalls) != 1 {
		t.Fatalf("Create called %d times, want 1", len(f.cloud.CreateCalls))
	}
	if nc.Status.ProviderID == "" || nc.Status.ImageID != "ami-fake" {
		t.Errorf("status = providerID %q imageID %q, want the launched instance's", nc.Status.ProviderID, nc.Status.ImageID)
	}
	if got := nc.Status.Allocatable[corev1.ResourceMemory]; got.Cmp(resource.MustParse("8Gi")) != 0 {
		t.Errorf("allocatable memory = %s, want 8Gi", got.String())
	}
	if got := nc.Status.Capacity[corev1.ResourcePods]; got.Value() != 29 {
		t.Errorf("capacity pods = %s, want 29", got.String())
	}
	for k, want := range map[string]string{
		corev1.LabelInstanceTypeStable: "m5.large", corev1.LabelTopologyZone: f.zone,
		v1.CapacityTypeLabelKey: v1.CapacityTypeOnDemand, corev1.LabelArchStable: "amd64", v1.NodePoolLabelKey: pool,
	} {
		if got := nc.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if !controllerutil.ContainsFinalizer(nc, v1.TerminationFinalizer) {
		t.Errorf("finalizers = %v, want %s", nc.Finalizers, v1.TerminationFinalizer)
	}
	expectCondition(t, nc, v1.ConditionTypeLaunched, metav1.ConditionTrue, v1.ConditionTypeLaunched)
	expectCondition(t, nc, v1.ConditionTypeRegistered, metav1.ConditionFalse, v1.ReasonNodeNotFound)
	if got := condition(t, nc, v1.ConditionTypeLaunched).LastTransitionTime.Time; !got.Equal(f.clock.Now()) {
		t.Errorf("Launched at %s, want the controller's clock %s", got, f.clock.Now())
	}
	if got := f.metric(t, "stevedore_nodeclaims_launched_total", map[string]string{"nodepool": pool}); got != 1 {
		t.Errorf("launched_total = %v, want 1", got)
	}
	f.expectEvent(t, "Launched", "m5.large", nc.Status.ProviderID)
}

func TestLaunchRecordsAnnotations(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	f.controller = newController(t, f, annotating{f.cloud})
	nc := claim(t)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	if got := get(t, nc).Annotations["example.com/hash"]; got != "42" {
		t.Errorf("annotation = %q, want the one the cloud provider returned", got)
	}
}

func TestLaunchIsNeverRepeated(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	for range 3 {
		test.ExpectReconciled(ctx, t, f.controller, nc)
	}
	if len(f.cloud.CreateCalls) != 1 {
		t.Errorf("Create called %d times for one claim, want 1", len(f.cloud.CreateCalls))
	}
	if machines, _ := f.cloud.List(ctx); len(machines) != 1 {
		t.Errorf("%d machines launched, want 1", len(machines))
	}
}

func TestInsufficientCapacityDeletesTheClaim(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	f.cloud.InstanceTypeList[0].Offerings[0].Available = false
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectReconciled(ctx, t, f.controller, nc)

	// The finalizer holds the claim for the termination controller; it is being deleted.
	if get(t, nc).DeletionTimestamp.IsZero() {
		t.Errorf("nodeclaim not deleted after insufficient capacity")
	}
	if nc.Status.ProviderID != "" {
		t.Errorf("providerID = %q, want none", nc.Status.ProviderID)
	}
	f.expectEvent(t, "Warning", v1.ReasonInsufficientCapacity)
	if got := f.metric(t, "stevedore_nodeclaims_launch_failures_total",
		map[string]string{"nodepool": pool, "reason": v1.ReasonInsufficientCapacity}); got != 1 {
		t.Errorf("launch_failures_total{reason=InsufficientCapacity} = %v, want 1", got)
	}
	// A claim being deleted is left to termination: no second launch.
	test.ExpectReconciled(ctx, t, f.controller, nc)
	if len(f.cloud.CreateCalls) != 1 {
		t.Errorf("Create called %d times, want 1", len(f.cloud.CreateCalls))
	}
}

func TestNodeClassNotReadyKeepsTheClaim(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	f.cloud.NextCreateErr = cloudprovider.NewNodeClassNotReadyError(errors.New("no subnets match"))
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	res := test.ExpectReconciled(ctx, t, f.controller, nc)

	if res.RequeueAfter <= 0 {
		t.Errorf("result %+v, want a requeue", res)
	}
	if !get(t, nc).DeletionTimestamp.IsZero() {
		t.Fatalf("nodeclaim deleted; want it kept until its node class is ready")
	}
	expectCondition(t, nc, v1.ConditionTypeLaunched, metav1.ConditionFalse, v1.ReasonNodeClassNotReady)
	expectCondition(t, nc, "Ready", metav1.ConditionFalse, v1.ReasonNodeClassNotReady)
	if msg := condition(t, nc, v1.ConditionTypeLaunched).Message; msg != "node class not ready: no subnets match" {
		t.Errorf("Launched message = %q", msg)
	}
	f.expectEvent(t, "Warning", v1.ReasonNodeClassNotReady, "no subnets match")

	// Once the class is ready, the same claim launches.
	test.ExpectReconciled(ctx, t, f.controller, nc)
	expectCondition(t, get(t, nc), v1.ConditionTypeLaunched, metav1.ConditionTrue, v1.ConditionTypeLaunched)
}

func TestOtherLaunchErrorsAreRetried(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	cause := errors.New("request limit exceeded")
	f.cloud.NextCreateErr = cause
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	if err := test.ExpectReconcileFailed(ctx, t, f.controller, nc); !errors.Is(err, cause) {
		t.Errorf("error %v does not carry the cause", err)
	}
	if get(t, nc).Status.ProviderID != "" || !nc.DeletionTimestamp.IsZero() {
		t.Errorf("claim = providerID %q, deleting %v; want it untouched for the retry", nc.Status.ProviderID, !nc.DeletionTimestamp.IsZero())
	}
	if got := f.metric(t, "stevedore_nodeclaims_launch_failures_total", map[string]string{"reason": v1.ReasonLaunchFailed}); got != 1 {
		t.Errorf("launch_failures_total{reason=LaunchFailed} = %v, want 1", got)
	}
	// The user sees why on the claim, not only in the controller's log.
	expectCondition(t, get(t, nc), v1.ConditionTypeLaunched, metav1.ConditionFalse, v1.ReasonLaunchFailed)
	if msg := nc.Conditions().Get(v1.ConditionTypeLaunched).Message; !strings.Contains(msg, cause.Error()) {
		t.Errorf("Launched message = %q, want the cause", msg)
	}
	test.ExpectReconciled(ctx, t, f.controller, nc)
	if get(t, nc).Status.ProviderID == "" {
		t.Errorf("retry did not launch")
	}
	expectCondition(t, nc, v1.ConditionTypeLaunched, metav1.ConditionTrue, v1.ConditionTypeLaunched)
}
