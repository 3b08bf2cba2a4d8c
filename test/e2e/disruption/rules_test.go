package disruption_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// claimOf is the NodeClaim whose node runs the pod.
func claimOf(ctx context.Context, pod *corev1.Pod) (*v1.NodeClaim, error) {
	var p corev1.Pod
	if err := sb.Client.Get(ctx, client.ObjectKeyFromObject(pod), &p); err != nil {
		return nil, err
	}
	claims, err := sb.NodeClaims(ctx)
	if err != nil {
		return nil, err
	}
	for i := range claims {
		if p.Spec.NodeName != "" && claims[i].Status.NodeName == p.Spec.NodeName {
			return &claims[i], nil
		}
	}
	return nil, nil
}

// waitConsolidatable waits until the claim's Consolidatable condition has the reason, and returns it.
func waitConsolidatable(t *testing.T, name, reason string) *metav1.Condition {
	t.Helper()
	var cond *metav1.Condition
	sb.Eventually(t, 2*time.Minute, "NodeClaim "+name+" to be Consolidatable="+reason, func(ctx context.Context) (bool, error) {
		var nc v1.NodeClaim
		if err := sb.Client.Get(ctx, client.ObjectKey{Name: name}, &nc); err != nil {
			return false, err
		}
		cond = meta.FindStatusCondition(nc.Status.Conditions, v1.ConditionTypeConsolidatable)
		return cond != nil && cond.Reason == reason, nil
	})
	return cond
}

func TestDoNotDisruptPodKeepsItsNodeAndSaysSo(t *testing.T) {
	ns := sb.Namespace(t)
	pod := test.Pod(test.WithNamespace(ns), test.WithRequests("500m", "1Gi"),
		test.WithAnnotations(v1.DoNotDisruptAnnotationKey, "true"))
	if err := sb.Client.Create(t.Context(), pod); err != nil {
		t.Fatal(err)
	}
	var claim *v1.NodeClaim
	sb.Eventually(t, 2*time.Minute, "the pod to run on a node of its own", func(ctx context.Context) (bool, error) {
		c, err := claimOf(ctx, pod)
		claim = c
		return c != nil, err
	})
	cond := waitConsolidatable(t, claim.Name, "DoNotDisrupt")
	if cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, pod.Name) {
		t.Errorf("Consolidatable = %s: %s; want False naming pod %s", cond.Status, cond.Message, pod.Name)
	}
	// Past consolidateAfter and a validation period, the node is still there.
	time.Sleep(20 * time.Second)
	if c, err := claimOf(t.Context(), pod); err != nil || c == nil || c.Name != claim.Name || !c.DeletionTimestamp.IsZero() {
		t.Errorf("the do-not-disrupt pod's node changed or is going: claim %v, err %v", c, err)
	}
}

func TestBudgetWindowStopsConsolidationAndSaysSo(t *testing.T) {
	ctx := t.Context()
	// A window of no disruption, read in New York time, open from the start of the current hour there for two
	// hours: active now whatever the time of the run.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	schedule, zone, duration := fmt.Sprintf("0 %d * * *", time.Now().In(ny).Hour()), "America/New_York", metav1.Duration{Duration: 2 * time.Hour}
	var np v1.NodePool
	if err := sb.Client.Get(ctx, client.ObjectKey{Name: sandbox.DefaultName}, &np); err != nil {
		t.Fatal(err)
	}
	before := np.Spec.Disruption.Budgets
	setBudgets(t, []v1.Budget{{Nodes: "0", Schedule: &schedule, Duration: &duration, TimeZone: &zone}})
	t.Cleanup(func() { setBudgets(t, before) })

	ns := sb.Namespace(t)
	d := test.Deployment(1, test.WithNamespace(ns), test.WithRequests("500m", "1Gi"))
	if err := sb.Client.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	pods := sb.WaitRunning(t, 2*time.Minute, ns, d.Spec.Template.Labels["app"], 1)
	claim, err := claimOf(ctx, &pods[0])
	if err != nil || claim == nil {
		t.Fatalf("no NodeClaim runs the pod: %v", err)
	}
	// Empty now, the node would go at once but for the budget.
	scale(t, d, 0)
	cond := waitConsolidatable(t, claim.Name, "BudgetExhausted")
	if !strings.Contains(cond.Message, "spec.disruption.budgets[0]") || !strings.Contains(cond.Message, zone) {
		t.Errorf("Consolidatable message %q; want it to name the budget and its time zone", cond.Message)
	}
	var nc v1.NodeClaim
	if err := sb.Client.Get(ctx, client.ObjectKey{Name: claim.Name}, &nc); err != nil || !nc.DeletionTimestamp.IsZero() {
		t.Errorf("the empty node's claim is gone or going during the window: %v", err)
	}
}

// setBudgets replaces the default NodePool's budgets.
func setBudgets(t *testing.T, budgets []v1.Budget) {
	t.Helper()
	var np v1.NodePool
	if err := sb.Client.Get(context.Background(), client.ObjectKey{Name: sandbox.DefaultName}, &np); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(np.DeepCopy())
	np.Spec.Disruption.Budgets = budgets
	if err := sb.Client.Patch(context.Background(), &np, patch); err != nil {
		t.Fatal(err)
	}
}
