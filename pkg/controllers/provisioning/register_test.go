package provisioning_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/state"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// eventually steps the fake clock a second at a time until cond holds, failing the test after a minute of real
// time: the manager's informers and the batch loop run on their own goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		env.Clock.Step(time.Second)
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRegisteredControllerProvisionsFromInformers(t *testing.T) {
	ctx := test.Context(t)
	t.Cleanup(cleanup)
	mgr, err := manager.New(env.Config, manager.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	cluster := state.New(mgr.GetClient(), fake.New(instanceTypes()...), env.Clock, state.Options{})
	c, err := provisioning.NewController(provisioning.Dependencies{
		Client: mgr.GetClient(), Cluster: cluster, Clock: env.Clock, Registerer: prometheus.NewRegistry(),
	}, provisioning.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Register(mgr); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	test.ExpectApplied(ctx, t, env.Client, test.NodePool("class"))
	pendingDeployment(ctx, t, 4, test.WithRequests("1", "1Gi"))
	claims := func() []v1.NodeClaim {
		var list v1.NodeClaimList
		if err := env.Client.List(ctx, &list); err != nil {
			t.Fatal(err)
		}
		return list.Items
	}
	eventually(t, "a nodeclaim for the pending pods", func() bool { return len(claims()) > 0 })

	// Batches keep running (the resync opens one every 20 s, and the nominations lapse): the pods stay on
	// the claim in flight and no second claim appears.
	for range 45 {
		env.Clock.Step(time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	if got := claims(); len(got) != 1 {
		t.Fatalf("%d nodeclaims after more batches, want still 1", len(got))
	}

	// Deleting the claim (its launch failed, say) sends its pods back to the provisioner.
	first := claims()[0]
	first.Finalizers = nil
	if err := env.Client.Update(ctx, &first); err != nil {
		t.Fatal(err)
	}
	test.ExpectDeleted(ctx, t, env.Client, &first)
	eventually(t, "a replacement nodeclaim", func() bool {
		got := claims()
		return len(got) == 1 && got[0].Name != first.Name
	})
}
