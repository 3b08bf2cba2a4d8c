package budgets

import (
	"errors"
	"testing"
	"time"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

type activeCase struct {
	name      string
	budget    v1.Budget
	now       time.Time
	wantUntil time.Time // zero: inactive, or always active when the budget has no schedule
}

func runActive(t *testing.T, cases []activeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			active, until, err := Active(tc.budget, tc.now)
			if err != nil {
				t.Fatalf("Active: %v", err)
			}
			wantActive := !tc.wantUntil.IsZero() || tc.budget.Schedule == nil
			if active != wantActive || !until.Equal(tc.wantUntil) {
				t.Errorf("Active at %v = %v until %v, want %v until %v",
					tc.now.UTC(), active, until.UTC(), wantActive, tc.wantUntil.UTC())
			}
		})
	}
}

func TestActiveWindows(t *testing.T) {
	nineToFive := budget("0", window("0 9 * * *", 8*time.Hour))
	lateNight := budget("0", window("0 22 * * *", 4*time.Hour))
	weekdays := budget("0", window("0 9 * * mon-FRI", 8*time.Hour))
	var none time.Time
	runActive(t, []activeCase{
		{"no schedule: always", budget("1"), wed, none},
		{"inside", nineToFive, wed, utc(1, 14, 17, 0)},
		{"at the start", nineToFive, utc(1, 14, 9, 0), utc(1, 14, 17, 0)},
		{"a second before the start", nineToFive, utc(1, 14, 9, 0).Add(-time.Second), none},
		{"at the end: closed", nineToFive, utc(1, 14, 17, 0), none},
		{"a nanosecond before the end", nineToFive, utc(1, 14, 17, 0).Add(-1), utc(1, 14, 17, 0)},
		{"spanning midnight, after midnight", lateNight, utc(1, 15, 1, 0), utc(1, 15, 2, 0)},
		{"spanning midnight, before midnight", lateNight, utc(1, 14, 23, 0), utc(1, 15, 2, 0)},
		{"spanning midnight, after it closed", lateNight, utc(1, 15, 2, 0), none},
		{"@daily inside", budget("0", window("@daily", time.Hour)), utc(1, 14, 0, 30), utc(1, 14, 1, 0)},
		{"@daily outside", budget("0", window("@daily", time.Hour)), utc(1, 14, 1, 30), none},
		{"@midnight is @daily", budget("0", window("@midnight", time.Hour)), utc(1, 14, 0, 30), utc(1, 14, 1, 0)},
		{"@weekly starts Sunday", budget("0", window("@weekly", 24*time.Hour)), utc(1, 18, 12, 0), utc(1, 19, 0, 0)},
		{"@monthly", budget("0", window("@monthly", 48*time.Hour)), utc(2, 2, 12, 0), utc(2, 3, 0, 0)},
		{"weekday names, Wednesday", weekdays, wed, utc(1, 14, 17, 0)},
		{"weekday names, Saturday", weekdays, utc(1, 17, 12, 0), none},
		{"a Friday window runs into Saturday", budget("0", window("0 20 * * fri", 8*time.Hour)), utc(1, 17, 1, 0), utc(1, 17, 4, 0)},
		{"month names", budget("0", window("0 9 1 Jan,mar *", time.Hour)), utc(1, 1, 9, 30), utc(1, 1, 10, 0)},
		{"month names, other month", budget("0", window("0 9 1 Jan,mar *", time.Hour)), utc(2, 1, 9, 30), none},
		{"overlapping windows merge", budget("0", window("0 9,12 * * *", 4*time.Hour)), utc(1, 14, 10, 0), utc(1, 14, 16, 0)},
		{"touching windows merge", budget("0", window("0 9,13 * * *", 4*time.Hour)), utc(1, 14, 10, 0), utc(1, 14, 17, 0)},
		{"a schedule that never fires", budget("0", window("0 0 30 2 *", 24*time.Hour)), utc(3, 1, 12, 0), none},
		{"zero duration never opens", budget("0", window("0 9 * * *", 0)), utc(1, 14, 9, 0), none},
	})
}

func TestActiveSundayAsSeven(t *testing.T) {
	sat, sun, mon := utc(1, 17, 9, 30), utc(1, 18, 9, 30), utc(1, 19, 9, 30)
	at := func(dow string) v1.Budget { return budget("0", window("0 9 * * "+dow, time.Hour)) }
	end := func(t time.Time) time.Time { return t.Add(30 * time.Minute) }
	var none time.Time
	runActive(t, []activeCase{
		{"7 is Sunday", at("7"), sun, end(sun)},
		{"7 is not Saturday", at("7"), sat, none},
		{"0 is Sunday too", at("0"), sun, end(sun)},
		{"5-7 includes Sunday", at("5-7"), sun, end(sun)},
		{"5-7 includes Saturday", at("5-7"), sat, end(sat)},
		{"5-7 excludes Monday", at("5-7"), mon, none},
		{"1-7/2 steps onto Sunday", at("1-7/2"), sun, end(sun)},
		{"2-7/2 steps past Sunday", at("2-7/2"), sun, none},
		{"2-7/2 includes Saturday", at("2-7/2"), sat, end(sat)},
		{"a list with 7", at("1,7"), sun, end(sun)},
		{"sun name", at("SUN"), sun, end(sun)},
	})
}

func TestSundaySevenRewrite(t *testing.T) {
	for in, want := range map[string]string{
		"7": "0", "7-7": "0", "7/2": "0", "5-7": "5-6,0", "0-7": "0-6,0", "1-7/2": "1-6/2,0", "2-7/2": "2-6/2",
		"1,7": "1,0", "*": "*", "*/2": "*/2", "mon-fri": "mon-fri", "fri-7": "fri-7", "1-7/0": "1-7/0",
	} {
		if got := sundaySeven(in); got != want {
			t.Errorf("sundaySeven(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestActiveTimeZones(t *testing.T) {
	berlin := budget("0", window("0 9 * * *", 8*time.Hour), in("Europe/Berlin"))
	ny := func(s string, d time.Duration) v1.Budget { return budget("0", window(s, d), in("America/New_York")) }
	kolkata := budget("0", window("0 9 * * *", 8*time.Hour), in("Asia/Kolkata"))
	var none time.Time
	runActive(t, []activeCase{
		// Europe/Berlin is UTC+1 in winter and UTC+2 in summer: 09:00 local is 08:00 or 07:00 UTC.
		{"Berlin winter, 07:30 UTC is before 09:00 CET", berlin, utc(1, 14, 7, 30), none},
		{"Berlin winter, 08:00 UTC opens", berlin, utc(1, 14, 8, 0), utc(1, 14, 16, 0)},
		{"Berlin winter, 15:30 UTC still open", berlin, utc(1, 14, 15, 30), utc(1, 14, 16, 0)},
		{"Berlin summer, 06:59 UTC is before 09:00 CEST", berlin, utc(7, 15, 6, 59), none},
		{"Berlin summer, 07:00 UTC opens", berlin, utc(7, 15, 7, 0), utc(7, 15, 15, 0)},
		{"Berlin summer, 15:30 UTC closed", berlin, utc(7, 15, 15, 30), none},
		// America/New_York springs forward at 02:00 EST (07:00 UTC) on 8 March 2026: 02:00-02:59 does not exist.
		{"NY 02:30 the day before", ny("30 2 * * *", time.Hour), utc(3, 7, 7, 45), utc(3, 7, 8, 30)},
		{"NY 02:30 skipped on spring-forward day", ny("30 2 * * *", time.Hour), utc(3, 8, 7, 15), none},
		{"NY 02:30 skipped: nothing later that day", ny("30 2 * * *", time.Hour), utc(3, 8, 20, 0), none},
		{"NY 02:30 back the day after, in EDT", ny("30 2 * * *", time.Hour), utc(3, 9, 6, 45), utc(3, 9, 7, 30)},
		{"NY window across the change lasts real time", ny("0 1 * * *", 2*time.Hour), utc(3, 8, 7, 30), utc(3, 8, 8, 0)},
		{"NY window across the change, closed", ny("0 1 * * *", 2*time.Hour), utc(3, 8, 8, 0), none},
		{"NY 09:00 EST before the change is 14:00 UTC", ny("0 9 * * *", time.Hour), utc(3, 6, 13, 30), none},
		{"NY 09:00 EDT after the change is 13:00 UTC", ny("0 9 * * *", time.Hour), utc(3, 9, 13, 30), utc(3, 9, 14, 0)},
		// It falls back at 02:00 EDT (06:00 UTC) on 1 November 2026: 01:00-01:59 happens twice.
		{"NY 01:30 EDT opens", ny("30 1 * * *", 30*time.Minute), utc(11, 1, 5, 45), utc(11, 1, 6, 0)},
		{"NY between the two 01:30s", ny("30 1 * * *", 30*time.Minute), utc(11, 1, 6, 15), none},
		{"NY 01:30 EST opens again", ny("30 1 * * *", 30*time.Minute), utc(11, 1, 6, 45), utc(11, 1, 7, 0)},
		{"NY the two 01:30 windows merge", ny("30 1 * * *", 2*time.Hour), utc(11, 1, 6, 0), utc(11, 1, 8, 30)},
		{"NY 01:30 EST the day after", ny("30 1 * * *", 30*time.Minute), utc(11, 2, 6, 45), utc(11, 2, 7, 0)},
		{"NY 09:00 EDT before is 13:00 UTC", ny("0 9 * * *", time.Hour), utc(10, 30, 13, 30), utc(10, 30, 14, 0)},
		{"NY 09:00 EST after is 14:00 UTC", ny("0 9 * * *", time.Hour), utc(11, 2, 13, 30), none},
		// Asia/Kolkata is UTC+05:30 all year.
		{"Kolkata 09:00 is 03:30 UTC, a minute early", kolkata, utc(1, 14, 3, 29), none},
		{"Kolkata 09:00 is 03:30 UTC", kolkata, utc(1, 14, 3, 30), utc(1, 14, 11, 30)},
		{"Kolkata in summer too", kolkata, utc(7, 15, 11, 29), utc(7, 15, 11, 30)},
	})
}

func TestActiveUntilIsInTheBudgetsZone(t *testing.T) {
	_, until, err := Active(budget("0", window("0 9 * * *", 8*time.Hour), in("Asia/Kolkata")), utc(1, 14, 4, 0))
	if err != nil {
		t.Fatalf("Active: %v", err)
	}
	if got := until.Format("15:04 MST"); got != "17:00 IST" {
		t.Errorf("until = %s, want 17:00 IST", got)
	}
}

func TestActiveErrorsAreRelative(t *testing.T) {
	_, _, err := Active(budget("0", window("0 9 * * *", time.Hour), in("Nowhere/Land")), wed)
	if fe, ok := errors.AsType[*FieldError](err); !ok || fe.Field != "timeZone" {
		t.Errorf("Active error = %v, want a *FieldError on timeZone", err)
	}
}
