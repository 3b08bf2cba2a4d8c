package termination_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	nodetermination "github.com/stevedore-dev/stevedore/pkg/controllers/node/termination"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/termination"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// Deleting a claim deletes its Node first and waits while the node drains; the instance is terminated only
// after, and the claim goes once the cloud reports the instance gone.
func TestDeletesNodeFirstAndWaitsForIt(t *testing.T) {
	f := setup(t)
	claim, node := f.claim(true, true)
	p := f.pod(node)
	f.deleteClaim(claim)
	test.ExpectReconciled(f.ctx, t, f.controller, claim)
	if test.ExpectExists(f.ctx, t, env.Client, node); node.DeletionTimestamp.IsZero() {
		t.Fatal("node not deleted")
	}
	f.expectEvent(termination.ReasonDeletingNode, node.Name)
	test.ExpectReconciled(f.ctx, t, f.controller, claim)
	if !exists(t, f.ctx, claim) || len(f.cloud.DeleteCalls) != 0 {
		t.Fatalf("claim exists %v, instance deletes %d while its node drains; want true, 0", exists(t, f.ctx, claim), len(f.cloud.DeleteCalls))
	}

	// The node termination controller drains the node and terminates the instance.
	nodes, err := nodetermination.NewController(nodetermination.Dependencies{
		Client: env.Client, Cloud: f.cloud, Clock: f.clock, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	test.ExpectReconciled(f.ctx, t, nodes, node)
	test.ExpectReconciled(f.ctx, t, f.controller, claim)
	if len(f.cloud.DeleteCalls) != 0 || !exists(t, f.ctx, p) {
		t.Fatal("instance terminated, or claim gone, before the node's pod left")
	}
	f.kubelet(node)
	for range 2 {
		test.ExpectReconciled(f.ctx, t, nodes, node)
	}
	test.ExpectNotFound(f.ctx, t, env.Client, node)
	test.ExpectReconciled(f.ctx, t, f.controller, claim)
	test.ExpectNotFound(f.ctx, t, env.Client, claim)
	if got := f.metric("stevedore_nodeclaims_terminated_total"); got != 1 {
		t.Errorf("terminated %v, want 1", got)
	}
}

// The finalizer stays while the instance shuts down and goes once the cloud reports it gone.
func TestWaitsForInstanceToBeGone(t *testing.T) {
	f := setup(t)
	claim, _ := f.claim(true, false)
	f.deleteClaim(claim)
	test.ExpectReconciled(f.ctx, t, f.controller, claim)
	if !exists(t, f.ctx, claim) {
		t.Fatal("claim gone while its instance was shutting down")
	}
	if n := len(f.cloud.DeleteCalls); n != 1 || f.cloud.DeleteCalls[0].Status.ProviderID != claim.Status.ProviderID {
		t.Fatalf("instance deletes %d, want 1 for %s", n, claim.Status.ProviderID)
	}
	f.expectEvent(termination.ReasonInstanceTerminating, claim.Status.ProviderID)
	f.clock.Step(termination.InstancePeriod)
	test.ExpectReconciled(f.ctx, t, f.controller, claim)
	test.ExpectNotFound(f.ctx, t, env.Client, claim)
	f.expectEvent(termination.ReasonTerminated, claim.Status.ProviderID)
	if got := f.metric("stevedore_nodeclaim_termination_duration_seconds"); got != 1 {
		t.Errorf("durations observed %v, want 1", got)
	}
}

// A claim that never launched loses its finalizer without asking the cloud.
func TestUnlaunchedClaimLosesFinalizer(t *testing.T) {
	f := setup(t)
	claim, _ := f.claim(false, false)
	f.deleteClaim(claim)
	test.ExpectReconciled(f.ctx, t, f.controller, claim)
	test.ExpectNotFound(f.ctx, t, env.Client, claim)
	if len(f.cloud.DeleteCalls) != 0 {
		t.Errorf("cloud asked to delete %d instances for a claim that never launched", len(f.cloud.DeleteCalls))
	}
}

// failingCloud fails every Delete, as a cloud outage would.
type failingCloud struct{ *fake.CloudProvider }

func (failingCloud) Delete(context.Context, *v1.NodeClaim) error {
	return errors.New("service unavailable")
}

// A cloud error keeps the claim and its finalizer: nothing is forgotten while the instance may still run.
func TestCloudErrorKeepsClaim(t *testing.T) {
	f := setup(t)
	claim, _ := f.claim(true, false)
	f.deleteClaim(claim)
	if err := test.ExpectReconcileFailed(f.ctx, t, f.newController(failingCloud{f.cloud}), claim); !strings.Contains(err.Error(), "service unavailable") {
		t.Errorf("error %v does not carry the cloud's", err)
	}
	if !exists(t, f.ctx, claim) {
		t.Fatal("claim gone although the cloud could not terminate its instance")
	}
}

// Registered with a real manager beside the node termination controller, deleting a claim drains and removes
// its node, terminates its instance and removes the claim, driven by watch events.
func TestRegisterWithManager(t *testing.T) {
	ctx, cancel := context.WithCancel(test.Context(t))
	defer cancel()
	mgr, err := manager.New(env.Config, manager.Options{
		Scheme:     env.Scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t)
	claims, err := termination.NewController(termination.Dependencies{
		Client: mgr.GetClient(), Cloud: f.cloud, Clock: clock.RealClock{}, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := nodetermination.NewController(nodetermination.Dependencies{
		Client: mgr.GetClient(), Cloud: f.cloud, Clock: clock.RealClock{}, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []interface{ Register(manager.Manager) error }{claims, nodes} {
		if err := c.Register(mgr); err != nil {
			t.Fatalf("registering: %v", err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()

	claim, node := f.claim(true, true)
	f.pod(node)
	test.ExpectDeleted(ctx, t, env.Client, claim)
	// Poll, standing in for the kubelet, until the claim is gone; the bound only keeps a broken build from hanging.
	for deadline := time.Now().Add(45 * time.Second); exists(t, ctx, claim); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("claim %s still there; node exists: %v", claim.Name, exists(t, ctx, &corev1.Node{ObjectMeta: node.ObjectMeta}))
		}
		f.kubelet(node)
	}
	test.ExpectNotFound(ctx, t, env.Client, node)
	if _, err := f.cloud.Get(ctx, claim.Status.ProviderID); err == nil {
		t.Error("instance still running")
	}
}
