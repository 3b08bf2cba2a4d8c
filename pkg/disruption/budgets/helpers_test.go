package budgets

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// wed is a Wednesday noon in winter, the default "now" of the tests.
var wed = time.Date(2026, 1, 14, 12, 0, 0, 0, time.UTC)

func pool(nodes, disrupting int, budgets ...v1.Budget) Pool {
	np := &v1.NodePool{}
	np.Name = "default"
	np.Spec.Disruption.Budgets = budgets
	return Pool{NodePool: np, Nodes: nodes, Disrupting: disrupting}
}

func budget(nodes string, opts ...func(*v1.Budget)) v1.Budget {
	b := v1.Budget{Nodes: nodes}
	for _, o := range opts {
		o(&b)
	}
	return b
}

func window(schedule string, d time.Duration) func(*v1.Budget) {
	return func(b *v1.Budget) {
		b.Schedule = &schedule
		b.Duration = &metav1.Duration{Duration: d}
	}
}

func in(zone string) func(*v1.Budget) {
	return func(b *v1.Budget) { b.TimeZone = &zone }
}

func reasons(rs ...v1.DisruptionReason) func(*v1.Budget) {
	return func(b *v1.Budget) { b.Reasons = rs }
}

func utc(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
}
