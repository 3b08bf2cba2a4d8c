package budgets

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

func TestAllowedCounts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pool      Pool
		want      int
		wantIndex int // -2: no limit
		wantCap   int // Limit.Allowed
	}{
		{"count", pool(20, 0, budget("5")), 5, 0, 5},
		{"count minus disrupting", pool(20, 3, budget("5")), 2, 0, 5},
		{"never negative", pool(20, 7, budget("5")), 0, 0, 5},
		{"10% of 5 rounds up to 1", pool(5, 0, budget("10%")), 1, 0, 1},
		{"10% of 20 is 2", pool(20, 0, budget("10%")), 2, 0, 2},
		{"25% of 10 rounds up to 3", pool(10, 0, budget("25%")), 3, 0, 3},
		{"1% of 1 is 1", pool(1, 0, budget("1%")), 1, 0, 1},
		{"10% of an empty pool is 0", pool(0, 0, budget("10%")), 0, 0, 0},
		{"0 blocks", pool(20, 0, budget("0")), 0, 0, 0},
		{"0% blocks", pool(20, 0, budget("0%")), 0, 0, 0},
		{"100% allows every node not disrupting", pool(7, 2, budget("100%")), 5, 0, 7},
		{"a count above the pool size allows the pool", pool(3, 1, budget("50")), 2, 0, 50},
		{"empty nodes reads as the API default 10%", pool(30, 0, budget("")), 3, 0, 3},
		{"no budgets: API default 10% rounded up", pool(25, 0), 3, -1, 3},
		{"no budgets: disrupting counts", pool(25, 2), 1, -1, 3},
		{"no budgets, one node: 1", pool(1, 0), 1, -1, 1},
		{"most restrictive wins", pool(20, 0, budget("10"), budget("3"), budget("50%")), 3, 1, 3},
		{"percent can be the most restrictive", pool(20, 0, budget("10"), budget("5%")), 1, 1, 1},
		{"on a tie the first wins", pool(20, 0, budget("2"), budget("10%")), 2, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, limit, err := Allowed(tc.pool, v1.DisruptionReasonEmpty, wed)
			if err != nil {
				t.Fatalf("Allowed: %v", err)
			}
			if got != tc.want {
				t.Errorf("Allowed = %d, want %d (%v)", got, tc.want, limit)
			}
			if limit == nil {
				t.Fatalf("limit = nil, want budget %d", tc.wantIndex)
			}
			if limit.Index != tc.wantIndex || limit.Allowed != tc.wantCap || limit.Remaining != got {
				t.Errorf("limit = {Index %d Allowed %d Remaining %d}, want {%d %d %d}",
					limit.Index, limit.Allowed, limit.Remaining, tc.wantIndex, tc.wantCap, got)
			}
		})
	}
}

func TestAllowedReasonsAndWindows(t *testing.T) {
	drifted := budget("0", reasons(v1.DisruptionReasonDrifted, v1.DisruptionReasonExpired))
	businessHours := window("0 9 * * mon-fri", 8*time.Hour)
	for _, tc := range []struct {
		name      string
		pool      Pool
		reason    v1.DisruptionReason
		now       time.Time
		want      int
		wantIndex int // -2: no limit
	}{
		{"a budget for the reason applies", pool(20, 0, drifted, budget("5")), v1.DisruptionReasonDrifted, wed, 0, 0},
		{"a budget for other reasons does not", pool(20, 0, drifted, budget("5")), v1.DisruptionReasonEmpty, wed, 5, 1},
		{"an empty reason matches every budget", pool(20, 0, drifted, budget("5")), "", wed, 0, 0},
		{"no applicable budget: every node not disrupting", pool(20, 3, drifted), v1.DisruptionReasonUnderutilized, wed, 17, -2},
		{"an active window applies", pool(20, 0, budget("0", businessHours), budget("4")), v1.DisruptionReasonEmpty, wed, 0, 0},
		{"an inactive window does not", pool(20, 0, budget("0", businessHours), budget("4")), v1.DisruptionReasonEmpty, utc(1, 14, 18, 0), 4, 1},
		{"the weekend is outside mon-fri", pool(20, 0, budget("0", businessHours), budget("4")), v1.DisruptionReasonEmpty, utc(1, 17, 12, 0), 4, 1},
		{"only inactive windows: unlimited", pool(20, 0, budget("0", businessHours)), v1.DisruptionReasonEmpty, utc(1, 17, 12, 0), 20, -2},
		{"a window widening disruption loses to a tighter always-on budget",
			pool(20, 0, budget("100%", window("@daily", 6*time.Hour)), budget("2")), v1.DisruptionReasonEmpty, utc(1, 14, 3, 0), 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, limit, err := Allowed(tc.pool, tc.reason, tc.now)
			if err != nil {
				t.Fatalf("Allowed: %v", err)
			}
			if got != tc.want {
				t.Errorf("Allowed = %d, want %d (%v)", got, tc.want, limit)
			}
			switch {
			case tc.wantIndex == -2 && limit != nil:
				t.Errorf("limit = %v, want none", limit)
			case tc.wantIndex != -2 && (limit == nil || limit.Index != tc.wantIndex):
				t.Errorf("limit = %v, want budget %d", limit, tc.wantIndex)
			}
		})
	}
}

func TestAllowedErrorsNameTheField(t *testing.T) {
	hour := &metav1.Duration{Duration: time.Hour}
	bad := func(f func(*v1.Budget)) v1.Budget { return budget("1", f) }
	for _, tc := range []struct {
		name   string
		budget v1.Budget
		field  string
		value  string
	}{
		{"hour out of range", budget("1", window("0 25 * * *", time.Hour)), "schedule", "0 25 * * *"},
		{"six fields", budget("1", window("0 0 9 * * *", time.Hour)), "schedule", "0 0 9 * * *"},
		{"@every", budget("1", window("@every 1h", time.Hour)), "schedule", "@every 1h"},
		{"zone prefix", budget("1", window("CRON_TZ=UTC 0 9 * * *", time.Hour)), "schedule", "CRON_TZ=UTC 0 9 * * *"},
		{"unknown zone", budget("1", window("0 9 * * *", time.Hour), in("Mars/Olympus")), "timeZone", "Mars/Olympus"},
		{"Local zone", budget("1", window("0 9 * * *", time.Hour), in("Local")), "timeZone", "Local"},
		{"nodes not a number", budget("ten"), "nodes", "ten"},
		{"percent above 100", budget("150%"), "nodes", "150%"},
		{"negative count", budget("-1"), "nodes", "-1"},
		{"schedule without duration", bad(func(b *v1.Budget) { s := "@daily"; b.Schedule = &s }), "schedule", "@daily"},
		{"duration without schedule", bad(func(b *v1.Budget) { b.Duration = hour }), "duration", "1h0m0s"},
		{"zone without schedule", bad(func(b *v1.Budget) { z := "UTC"; b.TimeZone = &z }), "timeZone", "UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The broken budget is for a reason not asked about: a broken pool is blocked whatever the reason.
			tc.budget.Reasons = []v1.DisruptionReason{v1.DisruptionReasonExpired}
			got, limit, err := Allowed(pool(20, 0, budget("5"), tc.budget), v1.DisruptionReasonEmpty, wed)
			if err == nil {
				t.Fatalf("Allowed = %d, %v, want an error", got, limit)
			}
			if got != 0 || limit != nil {
				t.Errorf("Allowed = %d, %v alongside the error, want 0, nil", got, limit)
			}
			fe, ok := errors.AsType[*FieldError](err)
			if !ok {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			if want := "spec.disruption.budgets[1]." + tc.field; fe.Field != want || fe.Value != tc.value {
				t.Errorf("error field %s %q, want %s %q", fe.Field, fe.Value, want, tc.value)
			}
			if !strings.HasPrefix(err.Error(), "spec.disruption.budgets[1]."+tc.field+" ") {
				t.Errorf("error %q does not start with the field", err)
			}
		})
	}
	if _, _, err := Allowed(Pool{}, v1.DisruptionReasonEmpty, wed); err == nil {
		t.Error("Allowed without a NodePool: no error")
	}
}

func TestLimitString(t *testing.T) {
	berlin := budget("0", reasons(v1.DisruptionReasonDrifted, v1.DisruptionReasonExpired),
		window("0 9 * * mon-fri", 8*time.Hour), in("Europe/Berlin"))
	for _, tc := range []struct {
		name string
		pool Pool
		now  time.Time
		want string
	}{
		{"scheduled, blocking", pool(20, 0, budget("10"), budget("5"), berlin), utc(1, 14, 10, 0),
			`spec.disruption.budgets[2] (nodes "0" for Drifted, Expired, during "0 9 * * mon-fri" in Europe/Berlin` +
				` for 8h, active until 2026-01-14 17:00 CET) allows no nodes disrupted`},
		{"default, used up", pool(25, 3), wed,
			`the default budget (spec.disruption.budgets is empty, so nodes "10%" for all reasons, always active)` +
				` allows 3 nodes disrupted at once and 3 already are, so no more may start`},
		{"count, some left", pool(20, 1, budget("3")), wed,
			`spec.disruption.budgets[0] (nodes "3" for all reasons, always active)` +
				` allows 3 nodes disrupted at once and 1 already is, so 2 more may start`},
		{"UTC window, one node", pool(20, 0, budget("1", window("30 22 * * *", 90*time.Minute))), utc(1, 14, 23, 0),
			`spec.disruption.budgets[0] (nodes "1" for all reasons, during "30 22 * * *" in UTC for 1h30m,` +
				` active until 2026-01-15 00:00 UTC) allows 1 node disrupted at once and 0 already are, so 1 more may start`},
		{"pool smaller than the budget", pool(0, 0, budget("5")), wed,
			`spec.disruption.budgets[0] (nodes "5" for all reasons, always active)` +
				` allows 5 nodes disrupted at once and 0 already are, but the pool has no other nodes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, limit, err := Allowed(tc.pool, v1.DisruptionReasonDrifted, tc.now)
			if err != nil {
				t.Fatalf("Allowed: %v", err)
			}
			if got := limit.String(); got != tc.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestCheckerSharedAcrossPasses runs many passes over one Checker at once, as the disruption controller does
// with several pools, and checks the cached answers match uncached ones.
func TestCheckerSharedAcrossPasses(t *testing.T) {
	p := pool(40, 1, budget("25%"), budget("1", window("0 9 * * 1-5", 8*time.Hour), in("America/New_York")))
	var c Checker
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			now := wed.Add(time.Duration(i) * 3 * time.Hour)
			want, _, wantErr := Allowed(p, v1.DisruptionReasonEmpty, now)
			for range 50 {
				got, _, err := c.Allowed(p, v1.DisruptionReasonEmpty, now)
				if got != want || (err == nil) != (wantErr == nil) {
					t.Errorf("at %v cached Allowed = %d, %v; uncached %d, %v", now, got, err, want, wantErr)
					return
				}
			}
		})
	}
	wg.Wait()
	if _, ok := c.cache.Load(scheduleKey{zone: "America/New_York", schedule: "0 9 * * 1-5"}); !ok {
		t.Error("the parsed schedule was not cached")
	}
}

// BenchmarkAllowed is one pool's check in a disruption pass: two always-on budgets and two windows in zones.
func BenchmarkAllowed(b *testing.B) {
	p := pool(200, 3, budget("10%"), budget("5", reasons(v1.DisruptionReasonUnderutilized)),
		budget("0", window("0 9 * * mon-fri", 8*time.Hour), in("Europe/Berlin")),
		budget("50%", window("30 22 * * *", 4*time.Hour), in("America/New_York")))
	var c Checker
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Allowed(p, v1.DisruptionReasonDrifted, wed); err != nil {
			b.Fatal(err)
		}
	}
}
