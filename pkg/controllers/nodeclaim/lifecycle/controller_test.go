package lifecycle_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/lifecycle"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// TestFailedStatusWriteDoesNotLaunchTwice loses the write that records a launch: the retry records the instance
// already launched instead of asking the cloud for another.
func TestFailedStatusWriteDoesNotLaunchTwice(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	var failed atomic.Bool
	flaky := interceptor.NewClient(f.kube.(client.WithWatch), interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if failed.CompareAndSwap(false, true) {
				return errors.New("the connection was reset")
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	c, err := lifecycle.NewController(lifecycle.Dependencies{
		Client: flaky, CloudProvider: f.cloud, Clock: f.clock, Registerer: f.registry,
	}, lifecycle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	if err := test.ExpectReconcileFailed(ctx, t, c, nc); !strings.Contains(err.Error(), "connection was reset") {
		t.Errorf("error %v, want the failed write's", err)
	}
	if get(t, nc).Status.ProviderID != "" {
		t.Fatalf("providerID recorded although the status write failed")
	}
	test.ExpectReconciled(ctx, t, c, nc)

	machines, _ := f.cloud.List(ctx)
	if len(f.cloud.CreateCalls) != 1 || len(machines) != 1 {
		t.Fatalf("Create called %d times, %d machines; want one of each", len(f.cloud.CreateCalls), len(machines))
	}
	if got := get(t, nc).Status.ProviderID; got != machines[0].Status.ProviderID {
		t.Errorf("providerID = %q, want the instance launched first, %q", got, machines[0].Status.ProviderID)
	}
	expectCondition(t, nc, v1.ConditionTypeLaunched, metav1.ConditionTrue, v1.ConditionTypeLaunched)
}

func TestClaimsBeingDeletedAreLeftAlone(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectDeleted(ctx, t, env.Client, nc)
	f.writes.Store(0)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	if len(f.cloud.CreateCalls) != 0 || f.writes.Load() != 0 {
		t.Errorf("deleting claim: %d launches, %d writes; want none", len(f.cloud.CreateCalls), f.writes.Load())
	}
	// A claim already gone is not an error.
	forget(ctx, nc)
	test.ExpectReconciled(ctx, t, f.controller, nc)
}

func TestNewControllerRequiresItsDependencies(t *testing.T) {
	if _, err := lifecycle.NewController(lifecycle.Dependencies{Registerer: prometheus.NewRegistry()}, lifecycle.Options{}); err == nil {
		t.Errorf("NewController without client, cloud provider or clock succeeded")
	}
}

// TestRegisteredControllerFollowsItsWatches runs the controller in a real manager: a claim is launched, and the
// Node its instance registers (matched by provider ID through the cache index) wakes the claim, which adopts it.
func TestRegisteredControllerFollowsItsWatches(t *testing.T) {
	mgr, err := manager.New(env.Config, manager.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cloud := fake.New(m5Large(test.RandomName("zone"), nil))
	c, err := lifecycle.NewController(lifecycle.Dependencies{
		Client: mgr.GetClient(), CloudProvider: cloud, Registerer: prometheus.NewRegistry(),
		Clock: clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
	}, lifecycle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Register(mgr); err != nil {
		t.Fatalf("Register: %v", err)
	}
	ctx, cancel := context.WithCancel(test.Context(t))
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	// The manager stops before the test's objects are cleared away, so it cannot re-adopt a Node being removed.
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	t.Cleanup(stop)

	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	eventually(t, "the claim to launch", func() bool { return get(t, nc).Status.ProviderID != "" })
	n := node(t, nc)
	eventually(t, "the node to be adopted and initialized", func() bool {
		get(t, n)
		return get(t, nc).Conditions().IsTrue(v1.ConditionTypeInitialized) && n.Labels[v1.NodeInitializedLabelKey] == "true"
	})
	if nc.Status.NodeName != n.Name {
		t.Errorf("nodeName = %q, want %q", nc.Status.NodeName, n.Name)
	}
	stop()
	if machines, _ := cloud.List(test.Context(t)); len(machines) != 1 {
		t.Errorf("%d machines launched for one claim, want 1", len(machines))
	}
}

// eventually polls cond until it holds, failing the test after a generous bound; it asserts an outcome, not how
// long it took.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
