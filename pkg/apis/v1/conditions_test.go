package v1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
)

func TestNodeClaimReadyRollsUp(t *testing.T) {
	nc := &NodeClaim{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
	cs := nc.Conditions()
	cs.Initialize()
	ready := func() metav1.Condition { return *cs.Root() }

	if r := ready(); r.Status != metav1.ConditionUnknown || r.Reason != conditions.ReasonAwaitingReconciliation {
		t.Fatalf("new claim: Ready = %s/%s, want Unknown/AwaitingReconciliation", r.Status, r.Reason)
	}
	if got := len(nc.Status.Conditions); got != 4 {
		t.Errorf("Initialize left %d conditions, want Launched, Registered, Initialized and Ready", got)
	}
	cs.SetTrue(ConditionTypeLaunched)
	cs.SetFalse(ConditionTypeRegistered, "NodeNotFound", "no node has joined with the instance's provider ID")
	if r := ready(); r.Status != metav1.ConditionFalse || r.Reason != "NodeNotFound" ||
		r.Message != "Registered: no node has joined with the instance's provider ID" {
		t.Errorf("a False dependent must make Ready False and explain why, got %+v", r)
	}
	cs.SetTrue(ConditionTypeRegistered)
	if r := ready(); r.Status != metav1.ConditionUnknown || r.Message != "Initialized is not True" {
		t.Errorf("an Unknown dependent must make Ready Unknown, got %+v", r)
	}
	if changed := cs.SetTrue(ConditionTypeInitialized); !changed {
		t.Error("SetTrue on a new status must report a change")
	}
	if !cs.IsTrue(conditions.Ready) {
		t.Errorf("all dependents True, Ready = %+v", ready())
	}
	if changed := cs.SetTrue(ConditionTypeInitialized); changed {
		t.Error("setting the same status again must report no change")
	}
	// Informational conditions never affect Ready.
	cs.SetTrue(ConditionTypeDrifted)
	cs.SetFalse(ConditionTypeConsolidatable, "Blocked", "a pod has do-not-disrupt")
	if !cs.IsTrue(conditions.Ready) {
		t.Errorf("informational conditions changed Ready: %+v", ready())
	}
	if !cs.Clear(ConditionTypeDrifted) || cs.Get(ConditionTypeDrifted) != nil {
		t.Error("Clear must remove the condition and report it")
	}
	if g := cs.Get(ConditionTypeLaunched).ObservedGeneration; g != 3 {
		t.Errorf("observedGeneration = %d, want the object's generation 3", g)
	}
}

func TestNodePoolReadyNeedsNodeClassAndValidation(t *testing.T) {
	np := &NodePool{}
	cs := np.Conditions()
	cs.SetTrue(ConditionTypeValidationSucceeded)
	if cs.IsTrue(conditions.Ready) {
		t.Fatal("Ready before NodeClassReady was reported")
	}
	cs.SetTrue(ConditionTypeNodeClassReady)
	if !cs.IsTrue(conditions.Ready) {
		t.Fatalf("Ready = %+v, want True", cs.Root())
	}
}
