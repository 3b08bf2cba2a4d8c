package budgets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// maxMerged bounds how many overlapping or touching windows Active follows to find when activity ends; a
// schedule that never leaves a gap ("* * * * *" for an hour) would otherwise be followed for ever.
const maxMerged = 64

// Checker evaluates budgets and caches parsed schedules and loaded time zones, which a disruption pass over
// every pool every few seconds would otherwise redo each time. The zero value is ready to use and safe for
// concurrent use. The cache grows with each distinct schedule and zone seen, which the API objects bound.
type Checker struct {
	cache sync.Map // zoneKey -> *time.Location, scheduleKey -> *cron.SpecSchedule
}

type zoneKey string

type scheduleKey struct{ zone, schedule string }

// Active reports whether budget b is active at now and, for a scheduled budget, until when: the end of the
// current window in the budget's time zone, extended over windows that overlap or touch it (following at most
// 64 of them, so for a window that never closes until is only a lower bound). A budget without a schedule is
// always active and until is zero. Errors are *FieldError naming the budget's field, such as "schedule".
func Active(b v1.Budget, now time.Time) (active bool, until time.Time, err error) {
	return new(Checker).Active(b, now)
}

// Active is the package's Active using the checker's cache.
func (c *Checker) Active(b v1.Budget, now time.Time) (bool, time.Time, error) {
	if b.Schedule == nil {
		switch {
		case b.Duration != nil:
			return false, time.Time{}, &FieldError{Field: "duration", Value: b.Duration.Duration.String(),
				Err: errors.New("set without schedule; set both for a recurring window, or neither for an always-active budget")}
		case b.TimeZone != nil:
			return false, time.Time{}, &FieldError{Field: "timeZone", Value: *b.TimeZone,
				Err: errors.New("applies to schedule; set schedule and duration too, or remove timeZone")}
		}
		return true, time.Time{}, nil
	}
	if b.Duration == nil {
		return false, time.Time{}, &FieldError{Field: "schedule", Value: *b.Schedule,
			Err: errors.New("needs a duration: how long the budget stays active after each start")}
	}
	d := b.Duration.Duration
	if d < 0 {
		return false, time.Time{}, &FieldError{Field: "duration", Value: d.String(), Err: errors.New("must not be negative")}
	}
	zone := ""
	if b.TimeZone != nil {
		zone = *b.TimeZone
	}
	loc, err := c.location(zone)
	if err != nil {
		return false, time.Time{}, &FieldError{Field: "timeZone", Value: zone, Err: err}
	}
	sched, err := c.schedule(*b.Schedule, zone, loc)
	if err != nil {
		return false, time.Time{}, &FieldError{Field: "schedule", Value: *b.Schedule, Err: err}
	}
	// The only start that can cover now is the first one after now-d; Next is strictly after its argument, so
	// a window that began exactly d ago has just closed.
	start := sched.Next(now.Add(-d))
	if start.IsZero() || start.After(now) {
		return false, time.Time{}, nil
	}
	until := start.Add(d)
	for range maxMerged {
		next := sched.Next(start)
		if next.IsZero() || next.After(until) {
			break
		}
		start, until = next, next.Add(d)
	}
	return true, until.In(loc), nil
}

// location loads an IANA zone once. "" is UTC; "Local" is refused because it would be the controller's zone,
// not one the pool's owner chose.
func (c *Checker) location(zone string) (*time.Location, error) {
	if zone == "" {
		return time.UTC, nil
	}
	if zone == "Local" {
		return nil, errors.New("zone Local is the controller's own; name an IANA zone such as UTC or Europe/Berlin")
	}
	if v, ok := c.cache.Load(zoneKey(zone)); ok {
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("loading time zone: %w", err)
	}
	c.cache.Store(zoneKey(zone), loc)
	return loc, nil
}

// schedule parses a budget's cron expression once per zone. A SpecSchedule is only read by Next, so one value
// may serve concurrent callers.
func (c *Checker) schedule(expr, zone string, loc *time.Location) (*cron.SpecSchedule, error) {
	key := scheduleKey{zone: zone, schedule: expr}
	if v, ok := c.cache.Load(key); ok {
		return v.(*cron.SpecSchedule), nil
	}
	s, err := parse(expr)
	if err != nil {
		return nil, err
	}
	s.Location = loc
	c.cache.Store(key, s)
	return s, nil
}

// parse reads the cron dialect the CRD allows: five fields or an @ macro, 7 meaning Sunday.
func parse(expr string) (*cron.SpecSchedule, error) {
	trimmed := strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ="):
		return nil, errors.New("a zone prefix is not allowed; set timeZone instead")
	case strings.HasPrefix(trimmed, "@every"):
		return nil, errors.New("@every is not allowed; use a cron expression or @yearly, @monthly, @weekly, @daily or @hourly")
	}
	if fields := strings.Fields(trimmed); len(fields) == 5 {
		fields[4] = sundaySeven(fields[4])
		trimmed = strings.Join(fields, " ")
	}
	s, err := cron.ParseStandard(trimmed)
	if err != nil {
		return nil, fmt.Errorf("parsing cron expression: %w", err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("parsing cron expression: unexpected schedule type %T", s)
	}
	return spec, nil
}

// sundaySeven rewrites 7 in a day-of-week field as 0, because the CRD (like most crons) allows 7 for Sunday and
// the library stops at 6. Items it cannot read, such as a name ranged to 7, are left for the parser to reject.
func sundaySeven(field string) string {
	items := strings.Split(field, ",")
	for i, item := range items {
		rng, step, stepped := strings.Cut(item, "/")
		lo, hi, ranged := strings.Cut(rng, "-")
		switch {
		case rng == "7" || (ranged && lo == "7" && hi == "7"):
			// "7/2" starts at 7 and so can only mean Sunday.
			items[i] = "0"
		case ranged && hi == "7":
			from, err := strconv.Atoi(lo)
			by := 1
			if stepped && err == nil {
				by, err = strconv.Atoi(step)
			}
			if err != nil || from < 0 || from > 6 || by <= 0 {
				continue
			}
			items[i] = lo + "-6"
			if stepped {
				items[i] += "/" + step
			}
			if (7-from)%by == 0 {
				items[i] += ",0"
			}
		}
	}
	return strings.Join(items, ",")
}
