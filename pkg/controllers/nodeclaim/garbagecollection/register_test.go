package garbagecollection_test

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/garbagecollection"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestRegisteredControllerCollectsOnStartAndEveryInterval(t *testing.T) {
	f := setup(t, awssim.Options{})
	if f.controller.Name() != garbagecollection.Name {
		t.Errorf("Name() = %q, want %q", f.controller.Name(), garbagecollection.Name)
	}
	mgr, err := manager.New(env.Config, manager.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.controller.Register(mgr); err != nil {
		t.Fatalf("Register: %v", err)
	}

	first := f.leak(t)
	env.Clock.Step(time.Hour)
	ctx, cancel := context.WithCancel(test.Context(t))
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	// The first pass runs as soon as the manager starts.
	f.eventually(t, func() bool { return f.state(t, first) == "terminated" }, "the first pass to terminate a leaked instance")

	// The next passes run on the injected clock's ticks.
	second := f.leak(t)
	env.Clock.Step(garbagecollection.DefaultInterval)
	f.eventually(t, func() bool { return f.state(t, second) == "terminated" }, "a pass on the next tick")
}

// eventually polls cond until it holds, failing the test with what was awaited when the test's context ends.
func (f *fixture) eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	ctx := test.Context(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waited in vain for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
