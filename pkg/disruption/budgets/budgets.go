package budgets

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Pool is what budgets are checked against: a pool's spec and its node counts at the moment of the check.
type Pool struct {
	// NodePool carries spec.disruption.budgets.
	NodePool *v1.NodePool
	// Nodes is the pool's current node count, disrupting nodes included; percentages are of it.
	Nodes int
	// Disrupting is how many of those nodes are being disrupted now, for any reason.
	Disrupting int
}

// Limit is the budget that decided an answer, kept for messages a person reads (NodeClaim conditions, events).
type Limit struct {
	// Index is the budget's position in spec.disruption.budgets, or -1 for the API default.
	Index int
	// Budget is the deciding budget as written (or the API default).
	Budget v1.Budget
	// Allowed is how many nodes the budget lets be disrupted at once, before subtracting Disrupting.
	Allowed int
	// Disrupting is how many of the pool's nodes were already disrupting.
	Disrupting int
	// Remaining is what Allowed returned: how many more nodes may start disrupting.
	Remaining int
	// Until is, for a scheduled budget, when its current window ends, in the budget's time zone; zero for a
	// budget that is always active.
	Until time.Time
}

// FieldError says which field of a budget cannot be used, and why. Field is relative to the budget
// ("schedule") when Active returns it and to the NodePool ("spec.disruption.budgets[2].schedule") when Allowed
// does.
type FieldError struct {
	Field string
	Value string
	Err   error
}

// Error names the field and its value, such as `spec.disruption.budgets[1].timeZone "Mars/Olympus": ...`.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Field, e.Value, e.Err)
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// DefaultBudget is what the API defaults an empty spec.disruption.budgets to: 10% of the pool, all reasons,
// always active.
func DefaultBudget() v1.Budget { return v1.Budget{Nodes: "10%"} }

// Allowed returns how many more of the pool's nodes may start disrupting now for reason (never negative) and
// the limit that decided it. The limit is nil when budgets exist but none is active and applies to reason; the
// answer is then every node not already disrupting. An empty reason matches every budget, giving the most
// restrictive active budget for any reason. On error (a *FieldError naming the budget's field) the answer is 0:
// callers must allow no disruption in the pool until the spec is fixed. Allowed parses schedules on every
// call; use a Checker to cache them.
func Allowed(p Pool, reason v1.DisruptionReason, now time.Time) (int, *Limit, error) {
	return new(Checker).Allowed(p, reason, now)
}

// Allowed is the package's Allowed using the checker's cache.
func (c *Checker) Allowed(p Pool, reason v1.DisruptionReason, now time.Time) (int, *Limit, error) {
	if p.NodePool == nil {
		return 0, nil, errors.New("checking disruption budgets: no node pool")
	}
	budgets := p.NodePool.Spec.Disruption.Budgets
	if len(budgets) == 0 {
		def := DefaultBudget()
		allowed, err := count(def.Nodes, p.Nodes)
		if err != nil {
			return 0, nil, err
		}
		return decided(p, &Limit{Index: -1, Budget: def, Allowed: allowed})
	}
	var limit *Limit
	for i, b := range budgets {
		allowed, err := count(b.Nodes, p.Nodes)
		if err != nil {
			return 0, nil, &FieldError{Field: field(i, "nodes"), Value: b.Nodes, Err: err}
		}
		active, until, err := c.Active(b, now)
		if err != nil {
			if fe, ok := errors.AsType[*FieldError](err); ok {
				return 0, nil, &FieldError{Field: field(i, fe.Field), Value: fe.Value, Err: fe.Err}
			}
			return 0, nil, fmt.Errorf("%s: %w", field(i, ""), err)
		}
		if !active || !applies(b, reason) {
			continue
		}
		if limit == nil || allowed < limit.Allowed {
			limit = &Limit{Index: i, Budget: b, Allowed: allowed, Until: until}
		}
	}
	if limit == nil {
		return max(0, p.Nodes-p.Disrupting), nil, nil
	}
	return decided(p, limit)
}

// decided fills in what the pool's disrupting nodes leave of the limit. A count larger than the pool cannot
// allow more nodes than the pool has.
func decided(p Pool, l *Limit) (int, *Limit, error) {
	l.Disrupting = p.Disrupting
	l.Remaining = max(0, min(l.Allowed, p.Nodes)-p.Disrupting)
	return l.Remaining, l, nil
}

func field(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("spec.disruption.budgets[%d]", i)
	}
	return fmt.Sprintf("spec.disruption.budgets[%d].%s", i, name)
}

// applies reports whether a budget limits reason; a budget without reasons limits all of them.
func applies(b v1.Budget, reason v1.DisruptionReason) bool {
	return reason == "" || len(b.Reasons) == 0 || slices.Contains(b.Reasons, reason)
}

// count reads nodes ("5", "10%", or "" for the API default) as a number of nodes of a pool of size total,
// rounding percentages up so a non-zero percentage of a non-empty pool never blocks disruption outright.
func count(nodes string, total int) (int, error) {
	if nodes == "" {
		nodes = DefaultBudget().Nodes
	}
	if pct, ok := strings.CutSuffix(nodes, "%"); ok {
		n, err := strconv.Atoi(pct)
		if err != nil || n < 0 || n > 100 || strings.HasPrefix(pct, "+") {
			return 0, errors.New("must be a percentage from 0% to 100% such as '10%'")
		}
		return (n*max(total, 0) + 99) / 100, nil
	}
	n, err := strconv.Atoi(nodes)
	if err != nil || n < 0 || strings.HasPrefix(nodes, "+") {
		return 0, errors.New("must be a whole number such as '5' or a percentage such as '10%'")
	}
	return n, nil
}
