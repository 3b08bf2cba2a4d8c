package disruption_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestEveryNodeSaysWhyAndEmptyNodesGo(t *testing.T) {
	f := setup(t)
	emptyNode, emptyClaim := f.node("medium")
	keptNode, keptClaim := f.node("medium")
	f.pods(keptNode, 1, "1", test.WithAnnotations(v1.DoNotDisruptAnnotationKey, "true"))
	env.Clock.Step(time.Hour) // consolidateAfter passes for both nodes
	f.pass()

	if c := f.condition(emptyClaim); c == nil || c.Status != metav1.ConditionTrue || c.Reason != "Delete" {
		t.Fatalf("empty node's Consolidatable = %+v, want True/Delete", c)
	}
	if c := f.condition(keptClaim); c == nil || c.Status != metav1.ConditionFalse || c.Reason != "DoNotDisrupt" ||
		!strings.Contains(c.Message, "is annotated stevedore.dev/do-not-disrupt=true") {
		t.Fatalf("kept node's Consolidatable = %+v, want False/DoNotDisrupt naming the pod", c)
	}

	f.advance(time.Minute) // past the validation period
	f.controller.Wait()
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(emptyClaim), &v1.NodeClaim{}); !apierrors.IsNotFound(err) {
		t.Errorf("the empty node's claim still exists (err %v); want it deleted", err)
	}
	if tainted(t, f.ctx, keptNode.Name) {
		t.Error("the kept node was tainted")
	}
	if got := f.decisions("Emptiness", "delete", "executed"); got != 1 {
		t.Errorf("executed emptiness decisions = %v, want 1", got)
	}
	_ = emptyNode
}

func TestValidationDropsACommandWhenAPodArrives(t *testing.T) {
	f := setup(t)
	node, claim := f.node("medium")
	env.Clock.Step(time.Hour)
	f.pass()
	if c := f.condition(claim); c == nil || c.Reason != "Delete" {
		t.Fatalf("Consolidatable = %+v, want Delete", c)
	}
	// A pod lands during the validation period.
	f.pods(node, 1, "1")
	f.advance(time.Minute)
	f.controller.Wait()

	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(claim), &v1.NodeClaim{}); err != nil {
		t.Fatalf("the claim is gone (%v); the command should have been dropped", err)
	}
	if tainted(t, f.ctx, node.Name) {
		t.Error("the node was tainted although validation failed")
	}
	if got := f.decisions("Emptiness", "delete", "aborted"); got != 1 {
		t.Errorf("aborted decisions = %v, want 1", got)
	}
}

// replacing starts a replace command for an xlarge node whose pods fit a small one, up to the replacement's
// creation, and returns the candidate and the replacement.
func replacing(t *testing.T, f *fixture) (*corev1.Node, *v1.NodeClaim, *v1.NodeClaim) {
	t.Helper()
	node, claim := f.node("xlarge")
	f.pods(node, 2, "500m")
	env.Clock.Step(time.Hour)
	f.pass()
	if c := f.condition(claim); c == nil || c.Reason != "Replace" || !strings.Contains(c.Message, "small") {
		t.Fatalf("Consolidatable = %+v, want Replace with a small", c)
	}
	f.advance(time.Minute)
	var replacement *v1.NodeClaim
	deadline := time.Now().Add(30 * time.Second)
	for replacement == nil {
		var claims v1.NodeClaimList
		if err := env.Client.List(f.ctx, &claims); err != nil {
			t.Fatal(err)
		}
		for i := range claims.Items {
			if claims.Items[i].Name != claim.Name {
				replacement = &claims.Items[i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no replacement claim was created")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !tainted(t, f.ctx, node.Name) {
		t.Error("the candidate is not tainted while its replacement launches")
	}
	return node, claim, replacement
}

func TestReplacementInitializesBeforeTheNodeGoes(t *testing.T) {
	f := setup(t)
	_, claim, replacement := replacing(t, f)
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(claim), &v1.NodeClaim{}); err != nil {
		t.Fatalf("the candidate's claim is gone before its replacement initialized: %v", err)
	}
	meta.SetStatusCondition(&replacement.Status.Conditions, metav1.Condition{Type: v1.ConditionTypeInitialized, Status: metav1.ConditionTrue, Reason: "Initialized"})
	if err := env.Client.Status().Update(f.ctx, replacement); err != nil {
		t.Fatal(err)
	}
	f.advance(5 * time.Second)
	f.controller.Wait()
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(claim), &v1.NodeClaim{}); !apierrors.IsNotFound(err) {
		t.Errorf("the candidate's claim still exists (err %v) after its replacement initialized", err)
	}
	if got := f.decisions("SingleNodeConsolidation", "replace", "executed"); got != 1 {
		t.Errorf("executed replace decisions = %v, want 1", got)
	}
}

func TestFailedReplacementRollsBack(t *testing.T) {
	f := setup(t)
	node, claim, replacement := replacing(t, f)
	// The launch fails for want of capacity: the lifecycle controller deletes the claim.
	if err := env.Client.Delete(f.ctx, replacement); err != nil {
		t.Fatal(err)
	}
	f.advance(5 * time.Second)
	f.controller.Wait()
	var kept v1.NodeClaim
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(claim), &kept); err != nil {
		t.Fatalf("the candidate's claim is gone (%v); a failed replacement must keep it", err)
	}
	if tainted(t, f.ctx, node.Name) {
		t.Error("the candidate is still tainted after the rollback")
	}
	if meta.FindStatusCondition(kept.Status.Conditions, v1.ConditionTypeDisrupting) != nil {
		t.Error("the candidate's claim is still marked Disrupting after the rollback")
	}
	if got := f.decisions("SingleNodeConsolidation", "replace", "failed"); got != 1 {
		t.Errorf("failed replace decisions = %v, want 1", got)
	}
}

func TestANewLeaderUntaintsWhatAnOldOneLeft(t *testing.T) {
	f := setup(t)
	node, _ := f.node("medium")
	f.pods(node, 3, "1")
	node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: v1.DisruptedTaintKey, Effect: corev1.TaintEffectNoSchedule})
	if err := env.Client.Update(f.ctx, node); err != nil {
		t.Fatal(err)
	}
	f.pass()
	if tainted(t, f.ctx, node.Name) {
		t.Error("a node tainted by a command that died with its leader is still tainted")
	}
}
