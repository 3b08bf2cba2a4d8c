package budgets_test

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption/budgets"
)

// A pool that lets consolidation take 20% of its nodes but freezes drift and expiry during Berlin business
// hours. The controller keeps one Checker for all pools and passes now from its injected clock.
func ExampleChecker_Allowed() {
	schedule, zone := "0 9 * * mon-fri", "Europe/Berlin"
	np := &v1.NodePool{}
	np.Spec.Disruption.Budgets = []v1.Budget{
		{Nodes: "20%"},
		{
			Nodes:    "0",
			Reasons:  []v1.DisruptionReason{v1.DisruptionReasonDrifted, v1.DisruptionReasonExpired},
			Schedule: &schedule,
			Duration: &metav1.Duration{Duration: 8 * time.Hour},
			TimeZone: &zone,
		},
	}
	pool := budgets.Pool{NodePool: np, Nodes: 12, Disrupting: 1}
	now := time.Date(2026, 1, 14, 10, 0, 0, 0, time.UTC) // a Wednesday, 11:00 in Berlin

	var checker budgets.Checker
	for _, reason := range []v1.DisruptionReason{v1.DisruptionReasonUnderutilized, v1.DisruptionReasonDrifted} {
		n, limit, err := checker.Allowed(pool, reason, now)
		if err != nil {
			fmt.Println("no disruption:", err)
			continue
		}
		fmt.Printf("%s: %d: %v\n", reason, n, limit)
	}
	// Output:
	// Underutilized: 2: spec.disruption.budgets[0] (nodes "20%" for all reasons, always active) allows 3 nodes disrupted at once and 1 already is, so 2 more may start
	// Drifted: 0: spec.disruption.budgets[1] (nodes "0" for Drifted, Expired, during "0 9 * * mon-fri" in Europe/Berlin for 8h, active until 2026-01-14 17:00 CET) allows no nodes disrupted
}
