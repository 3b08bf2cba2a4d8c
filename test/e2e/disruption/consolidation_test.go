package disruption_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

// consolidationTimeout is "within a few minutes" of the scale-down: consolidateAfter (30 s), a validation
// period (15 s) and the replacements' boot and drain, a few commands in a row.
const consolidationTimeout = 5 * time.Minute

func TestScaleDownConsolidatesWithoutBreakingPDBs(t *testing.T) {
	ns := sb.Namespace(t)
	web := test.Deployment(24, test.WithNamespace(ns), test.WithRequests("500m", "1Gi"))
	api := test.Deployment(6, test.WithNamespace(ns), test.WithRequests("1", "2Gi"))
	webApp, apiApp := web.Spec.Template.Labels["app"], api.Spec.Template.Labels["app"]
	for _, obj := range []client.Object{
		web, api,
		test.PDB(webApp, 1, test.WithNamespace(ns)),
		test.PDB(apiApp, 1, test.WithNamespace(ns)),
	} {
		if err := sb.Client.Create(t.Context(), obj); err != nil {
			t.Fatal(err)
		}
	}
	sb.WaitRunning(t, 2*time.Minute, ns, webApp, 24)
	sb.WaitRunning(t, 2*time.Minute, ns, apiApp, 6)
	peak := sb.FleetPrice(t)

	// Evening: most of web goes.
	scale(t, web, 6)
	sb.WaitRunning(t, time.Minute, ns, webApp, 6)
	sb.Eventually(t, time.Minute, "the scaled-down pods to be gone", func(ctx context.Context) (bool, error) {
		pods, err := sb.Pods(ctx, ns, webApp)
		return len(pods) == 6, err
	})
	scaledDown := sb.FleetPrice(t)
	ready := watchReady(t, ns)

	var target, fleet float64
	sb.Eventually(t, consolidationTimeout, "the fleet to cost within 10% of a fresh packing of its pods", func(ctx context.Context) (bool, error) {
		// Re-solved each time: spot prices drift, and the fresh packing with them.
		var pods corev1.PodList
		if err := sb.Client.List(ctx, &pods, client.InNamespace(ns)); err != nil {
			return false, err
		}
		var pending []*corev1.Pod
		for i := range pods.Items {
			p := pods.Items[i].DeepCopy()
			if !p.DeletionTimestamp.IsZero() {
				continue
			}
			p.Spec.NodeName = ""
			pending = append(pending, p)
		}
		plan := sb.FreshPlan(t, pending)
		if len(plan.Unschedulable) > 0 {
			t.Fatalf("a fresh packing leaves %d pods unschedulable: %+v", len(plan.Unschedulable), plan.Unschedulable[0])
		}
		target, fleet = plan.PricePerHour, sb.FleetPrice(t)
		return fleet <= target*1.10, nil
	})
	t.Logf("fleet: $%.4f/h at the peak, $%.4f/h after the scale-down, $%.4f/h consolidated; a fresh packing costs $%.4f/h",
		peak, scaledDown, fleet, target)

	// Every eviction went through the PodDisruptionBudgets: maxUnavailable 1 of 6 leaves at least 5 Ready.
	for _, app := range []string{webApp, apiApp} {
		if fewest := ready.fewestReady(app); fewest < 5 {
			t.Errorf("%s had only %d Ready pods during consolidation; its PodDisruptionBudget keeps at least 5", app, fewest)
		}
	}
	sb.WaitRunning(t, time.Minute, ns, webApp, 6)
	sb.WaitRunning(t, time.Minute, ns, apiApp, 6)
}

// scale sets the Deployment's replicas.
func scale(t *testing.T, d *appsv1.Deployment, replicas int32) {
	t.Helper()
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = &replicas
	if err := sb.Client.Patch(t.Context(), d, patch); err != nil {
		t.Fatal(err)
	}
}
