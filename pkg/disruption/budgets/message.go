package budgets

import (
	"fmt"
	"strings"
	"time"
)

// String says which budget decided and what it leaves, naming the field a person would change, for example:
//
//	spec.disruption.budgets[2] (nodes "0" for Drifted, Expired, during "0 9 * * mon-fri" in Europe/Berlin
//	for 8h, active until 2026-01-14 17:00 CET) allows no nodes disrupted
func (l *Limit) String() string {
	if l == nil {
		return "no disruption budget applies"
	}
	var b strings.Builder
	if l.Index < 0 {
		fmt.Fprintf(&b, "the default budget (spec.disruption.budgets is empty, so nodes %q", l.Budget.Nodes)
	} else {
		fmt.Fprintf(&b, "spec.disruption.budgets[%d] (nodes %q", l.Index, l.Budget.Nodes)
	}
	if len(l.Budget.Reasons) == 0 {
		b.WriteString(" for all reasons")
	} else {
		reasons := make([]string, len(l.Budget.Reasons))
		for i, r := range l.Budget.Reasons {
			reasons[i] = string(r)
		}
		fmt.Fprintf(&b, " for %s", strings.Join(reasons, ", "))
	}
	if l.Budget.Schedule == nil {
		b.WriteString(", always active)")
	} else {
		zone := "UTC"
		if l.Budget.TimeZone != nil && *l.Budget.TimeZone != "" {
			zone = *l.Budget.TimeZone
		}
		fmt.Fprintf(&b, ", during %q in %s", *l.Budget.Schedule, zone)
		if l.Budget.Duration != nil {
			fmt.Fprintf(&b, " for %s", shortDuration(l.Budget.Duration.Duration))
		}
		if !l.Until.IsZero() {
			fmt.Fprintf(&b, ", active until %s", l.Until.Format("2006-01-02 15:04 MST"))
		}
		b.WriteString(")")
	}
	switch {
	case l.Allowed == 0:
		b.WriteString(" allows no nodes disrupted")
	case l.Remaining == 0 && l.Disrupting < l.Allowed:
		fmt.Fprintf(&b, " allows %s disrupted at once and %d already %s, but the pool has no other nodes",
			nodes(l.Allowed), l.Disrupting, isAre(l.Disrupting))
	case l.Remaining == 0:
		fmt.Fprintf(&b, " allows %s disrupted at once and %d already %s, so no more may start",
			nodes(l.Allowed), l.Disrupting, isAre(l.Disrupting))
	default:
		fmt.Fprintf(&b, " allows %s disrupted at once and %d already %s, so %d more may start",
			nodes(l.Allowed), l.Disrupting, isAre(l.Disrupting), l.Remaining)
	}
	return b.String()
}

func nodes(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// shortDuration drops the zero minutes and seconds time.Duration prints ("8h0m0s" reads as "8h").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
