package lifecycle_test

import (
	"errors"
	"testing"
	"time"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/lifecycle"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestLivenessDeletesClaimsThatNeverRegister(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectReconciled(ctx, t, f.controller, nc)

	f.clock.Step(lifecycle.DefaultRegistrationTTL - time.Second)
	res := test.ExpectReconciled(ctx, t, f.controller, nc)
	if !get(t, nc).DeletionTimestamp.IsZero() {
		t.Fatalf("nodeclaim deleted before the registration TTL")
	}
	if res.RequeueAfter <= 0 || res.RequeueAfter > time.Second {
		t.Errorf("requeue after %v, want at most the second left of the TTL", res.RequeueAfter)
	}
	if got := f.metric(t, "stevedore_nodeclaims_registration_timeouts_total", nil); got != 0 {
		t.Errorf("registration_timeouts_total = %v before the TTL", got)
	}

	f.clock.Step(time.Second)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	if get(t, nc).DeletionTimestamp.IsZero() {
		t.Errorf("nodeclaim not deleted %s after launch without a node", lifecycle.DefaultRegistrationTTL)
	}
	f.expectEvent(t, "Warning", v1.ReasonRegistrationTimeout)
	if got := f.metric(t, "stevedore_nodeclaims_registration_timeouts_total", map[string]string{"nodepool": pool}); got != 1 {
		t.Errorf("registration_timeouts_total = %v, want 1", got)
	}
}

func TestLivenessSparesRegisteredClaims(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectReconciled(ctx, t, f.controller, nc)
	f.clock.Step(10 * time.Minute)
	node(t, get(t, nc))
	test.ExpectReconciled(ctx, t, f.controller, nc)

	f.clock.Step(time.Hour)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	if !get(t, nc).DeletionTimestamp.IsZero() {
		t.Errorf("registered nodeclaim deleted by liveness")
	}
}

func TestLivenessHonoursTheRegistrationTTLOption(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	c, err := lifecycle.NewController(lifecycle.Dependencies{
		Client: f.kube, CloudProvider: f.cloud, Clock: f.clock, Registerer: f.registry,
	}, lifecycle.Options{RegistrationTTL: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectReconciled(ctx, t, c, nc)
	f.clock.Step(5 * time.Minute)
	test.ExpectReconciled(ctx, t, c, nc)
	if get(t, nc).DeletionTimestamp.IsZero() {
		t.Errorf("nodeclaim not deleted after the 5m registration TTL")
	}
}

// A claim whose launch keeps failing without a capacity error (no known instance type fits, a node class that
// never becomes ready) would otherwise hold its pods for ever: after the registration TTL it is deleted, so the
// provisioner solves for them again.
func TestLivenessDeletesClaimsThatNeverLaunch(t *testing.T) {
	f := setup(t)
	ctx := test.Context(t)
	nc := claim(t, test.WithFinalizers(v1.TerminationFinalizer))
	fail := func() {
		f.cloud.NextCreateErr = errors.New("none of the instance types known now fits")
		_ = test.ExpectReconcileFailed(ctx, t, f.controller, nc)
	}
	fail()
	f.clock.Step(lifecycle.DefaultRegistrationTTL - time.Second)
	fail()
	if !get(t, nc).DeletionTimestamp.IsZero() {
		t.Fatalf("nodeclaim deleted before the registration TTL")
	}
	f.clock.Step(time.Second)
	fail()
	if get(t, nc).DeletionTimestamp.IsZero() {
		t.Fatalf("nodeclaim kept %s after its launch first failed", lifecycle.DefaultRegistrationTTL)
	}
	f.expectEvent(t, "Warning", v1.ReasonRegistrationTimeout, "could not be launched")
}
