package garbagecollection_test

import (
	"testing"
	"time"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/garbagecollection"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestLeakedInstanceIsTerminatedOnlyAfterTheGracePeriod(t *testing.T) {
	f := setup(t, awssim.Options{})
	old := f.leak(t)
	env.Clock.Step(45 * time.Second)
	young := f.leak(t)
	env.Clock.Step(30 * time.Second)

	f.reconcile(t)
	f.expectState(t, "terminated", old)
	f.expectState(t, "running", young)

	env.Clock.Step(garbagecollection.DefaultGracePeriod)
	f.reconcile(t)
	f.expectState(t, "terminated", young)
	// A pass over instances already gone has nothing to do, and says so by not failing.
	f.reconcile(t)
}

func TestInstanceRecordedByANodeClaimSurvives(t *testing.T) {
	f := setup(t, awssim.Options{})
	name := test.RandomName("recorded")
	untagged := f.leak(t)
	tagged := f.leak(t, awsv1.TagNodeClaim, name)
	claim(t, untagged)
	claim(t, tagged, test.WithName(name))
	env.Clock.Step(time.Hour)

	f.reconcile(t)
	f.expectState(t, "running", untagged, tagged)
}

func TestInstanceOfALaunchInFlightSurvives(t *testing.T) {
	f := setup(t, awssim.Options{})
	launching := claim(t, "")
	adoptable := f.leak(t, awsv1.TagNodeClaim, launching.Name)

	recorded := f.leak(t)
	other := claim(t, recorded)
	// A second instance tagged for a claim that already recorded another one is a duplicate no one will adopt.
	duplicate := f.leak(t, awsv1.TagNodeClaim, other.Name)
	// An instance tagged for a claim that no longer exists will never be adopted either.
	orphan := f.leak(t, awsv1.TagNodeClaim, test.RandomName("deleted"))
	env.Clock.Step(time.Hour)

	f.reconcile(t)
	f.expectState(t, "running", adoptable, recorded)
	f.expectState(t, "terminated", duplicate, orphan)
	if !exists(t, launching) || !exists(t, other) {
		t.Error("a NodeClaim whose instance is running was deleted")
	}
}

func TestInstanceOfANodeClaimBeingDeletedBeforeItsLaunchIsTerminated(t *testing.T) {
	f := setup(t, awssim.Options{})
	// Another finalizer holds the claim; no launcher will ever adopt an instance for a claim being deleted.
	held := claim(t, "", test.WithFinalizers("example.com/hold"))
	test.ExpectDeleted(test.Context(t), t, env.Client, held)
	stray := f.leak(t, awsv1.TagNodeClaim, held.Name)

	f.reconcile(t)
	f.expectState(t, "running", stray)
	env.Clock.Step(time.Hour)
	f.reconcile(t)
	f.expectState(t, "terminated", stray)
	if !exists(t, held) {
		t.Error("the claim being deleted was removed; its finalizers are not the garbage collector's to skip")
	}
}

func TestAnotherClustersInstanceIsNeverTouched(t *testing.T) {
	f := setup(t, awssim.Options{})
	foreign := f.leak(t, awsv1.TagCluster, "other", awsv1.TagNodeClaim, test.RandomName("theirs"))
	untagged := f.leak(t, awsv1.TagCluster, "", "kubernetes.io/cluster/test", "")
	env.Clock.Step(24 * time.Hour)

	f.reconcile(t)
	f.reconcile(t)
	f.expectState(t, "running", foreign, untagged)
}

func TestNodeClaimIsDeletedOnlyOnceItsInstanceIsGone(t *testing.T) {
	f := setup(t, awssim.Options{ShutdownDelay: 2 * time.Minute})
	goneID, liveID, dyingID := f.leak(t), f.leak(t), f.leak(t)
	gone, live := claim(t, goneID), claim(t, liveID)
	dying := claim(t, dyingID, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectDeleted(test.Context(t), t, env.Client, dying)
	f.terminate(t, goneID)
	f.terminate(t, dyingID)

	// Shutting down is not gone: the instance may still be draining, and the claim's finalizer owns that.
	f.reconcile(t)
	if !exists(t, gone) || f.wasDeleted(gone.Name) {
		t.Fatal("a NodeClaim was deleted while its instance was still shutting down")
	}

	env.Clock.Step(3 * time.Minute)
	f.expectState(t, "terminated", goneID, dyingID)
	f.reconcile(t)
	if exists(t, gone) {
		t.Error("the NodeClaim of a terminated instance was not deleted")
	}
	if !exists(t, live) {
		t.Error("the NodeClaim of a running instance was deleted")
	}
	f.expectState(t, "running", liveID)
	if !exists(t, dying) || f.wasDeleted(dying.Name) {
		t.Error("a NodeClaim already being deleted was deleted again instead of being left to its finalizer")
	}
}

func TestNodeClaimIsDeletedOnceEC2ForgetsItsInstance(t *testing.T) {
	f := setup(t, awssim.Options{TerminatedRetention: -1})
	id := f.leak(t)
	nc := claim(t, id, test.WithFinalizers(v1.TerminationFinalizer))
	f.terminate(t, id)

	f.reconcile(t)
	test.ExpectExists(test.Context(t), t, env.Client, nc)
	if nc.DeletionTimestamp.IsZero() {
		t.Error("the NodeClaim of an instance EC2 no longer knows was not deleted")
	}
}

func TestThrottlingIsSurvived(t *testing.T) {
	f := setup(t, awssim.Options{})
	leaked, goneID, liveID := f.leak(t), f.leak(t), f.leak(t)
	gone, live := claim(t, goneID), claim(t, liveID)
	f.terminate(t, goneID)
	env.Clock.Step(time.Hour)

	// Every second request is throttled: the SDK's retries absorb it.
	f.sim.SetThrottle(2)
	f.reconcile(t)
	f.sim.SetThrottle(0)
	f.expectState(t, "terminated", leaked)
	f.expectState(t, "running", liveID)
	if exists(t, gone) || !exists(t, live) {
		t.Errorf("under throttling: the claim of the terminated instance exists = %v, of the running one = %v, want false, true",
			exists(t, gone), exists(t, live))
	}
}

func TestAnUnreachableEC2ChangesNothing(t *testing.T) {
	f := setup(t, awssim.Options{})
	leaked, goneID, liveID := f.leak(t), f.leak(t), f.leak(t)
	gone, live := claim(t, goneID), claim(t, liveID)
	f.terminate(t, goneID)
	env.Clock.Step(time.Hour)

	// Every request is throttled, retries included: the pass fails, and must not read the silence as "no
	// instances" (which would delete every claim) or as "instance gone".
	f.sim.SetThrottle(1)
	if err := f.controller.Reconcile(test.Context(t)); err == nil {
		t.Error("Reconcile succeeded though every EC2 request failed")
	}
	f.sim.SetThrottle(0)
	if !exists(t, gone) || !exists(t, live) {
		t.Fatal("a NodeClaim was deleted on a pass that could not reach EC2")
	}
	f.expectState(t, "running", leaked, liveID)

	// Once EC2 answers again, the next pass catches up.
	f.reconcile(t)
	f.expectState(t, "terminated", leaked)
	if exists(t, gone) || !exists(t, live) {
		t.Error("the pass after EC2 recovered did not delete exactly the claim whose instance is gone")
	}
}

func TestAPassBatchesItsEC2Calls(t *testing.T) {
	f := setup(t, awssim.Options{})
	const n = 20
	var leaked []string
	for range n {
		leaked = append(leaked, f.leak(t))
	}
	var claims []*v1.NodeClaim
	for range n {
		id := f.leak(t)
		claims = append(claims, claim(t, id))
		f.terminate(t, id)
	}
	// Within EC2's hour of showing terminated instances: forgotten ones cost the provider a call each.
	env.Clock.Step(10 * time.Minute)

	describes, terminates := f.callsOf("DescribeInstances"), f.callsOf("TerminateInstances")
	f.reconcile(t)
	describes, terminates = f.callsOf("DescribeInstances")-describes, f.callsOf("TerminateInstances")-terminates

	f.expectState(t, "terminated", leaked...)
	for _, nc := range claims {
		if exists(t, nc) {
			t.Errorf("the NodeClaim %s of a terminated instance was not deleted", nc.Name)
		}
	}
	// A leak storm (a crash in the middle of a merged launch) or a mass termination must not cost one call per
	// instance: concurrent Gets and Deletes share DescribeInstances and TerminateInstances calls.
	if terminates > n/4 {
		t.Errorf("terminating %d leaked instances took %d TerminateInstances calls, want at most %d", n, terminates, n/4)
	}
	if describes > n/4 {
		t.Errorf("a pass over %d leaked instances and %d gone ones took %d DescribeInstances calls, want at most %d", n, n, describes, n/4)
	}
}
