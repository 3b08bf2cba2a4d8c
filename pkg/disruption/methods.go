package disruption

import (
	"cmp"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// maxReplaceAttempts bounds the simulations expiration and drift run in one pass: the first candidate whose
// pods can go somewhere is replaced, and a candidate that cannot be is retried next pass.
const maxReplaceAttempts = 10

// expired reports whether the candidate's claim has outlived its expireAfter.
func (p *pass) expired(c *Candidate) bool {
	nc := c.node.NodeClaim
	if nc == nil || nc.Spec.ExpireAfter.Duration == nil {
		return false
	}
	return !p.in.Now.Before(nc.CreationTimestamp.Add(*nc.Spec.ExpireAfter.Duration))
}

// drifted reports whether the candidate's claim is marked Drifted.
func drifted(c *Candidate) bool {
	nc := c.node.NodeClaim
	return nc != nil && meta.IsStatusConditionTrue(nc.Status.Conditions, v1.ConditionTypeDrifted)
}

// replaceEach picks the oldest candidate the predicate selects whose pods can move, onto the other nodes or
// onto replacements of any price: expiration and drift replace nodes for freshness, not for savings. Budgets,
// do-not-disrupt and PodDisruptionBudgets are honoured; consolidateAfter is not, since the node must go anyway.
func (p *pass) replaceEach(m Method, selects func(*Candidate) bool) *Command {
	var picked []*Candidate
	for _, c := range p.candidates {
		if !p.used[c] && initialized(c) && selects(c) {
			picked = append(picked, c)
		}
	}
	slices.SortStableFunc(picked, func(a, b *Candidate) int {
		return a.node.Node.CreationTimestamp.Compare(b.node.Node.CreationTimestamp.Time)
	})
	attempts := 0
	for _, c := range picked {
		if doNotDisrupt(c) != nil || p.pdbBlocked(c) != nil {
			continue
		}
		if n, _ := p.allowed(c.NodePool, m.Reason()); n == 0 {
			continue
		}
		if attempts++; attempts > maxReplaceAttempts {
			break
		}
		cmd, b := p.outcome(m, []*Candidate{c}, p.simulate([]*Candidate{c}), -1)
		if b == nil {
			return cmd
		}
	}
	return nil
}

// emptiness deletes, in one command, every candidate without pods to move whose pool's consolidateAfter has
// passed, as many as the budgets allow.
func (p *pass) emptiness() *Command {
	cmd := &Command{Method: MethodEmptiness}
	for _, c := range p.candidates {
		if p.used[c] || len(c.Pods) > 0 {
			continue
		}
		if b := p.precheck(c, v1.DisruptionReasonEmpty); b != nil {
			p.blocked(c, b, 0)
			continue
		}
		if n, b := p.allowed(c.NodePool, v1.DisruptionReasonEmpty); n <= countIn(cmd.Candidates, c.NodePool.Name) {
			if b == nil {
				b = usedUp(c.NodePool, v1.DisruptionReasonEmpty)
			}
			p.blocked(c, b, c.PricePerHour)
			continue
		}
		cmd.Candidates = append(cmd.Candidates, c)
	}
	if len(cmd.Candidates) == 0 {
		return nil
	}
	for _, c := range cmd.Candidates {
		p.consolidatable(c, cmd)
	}
	return cmd
}

// usedUp is the block of a pool whose budget the candidates of the command being built used up.
func usedUp(np *v1.NodePool, reason v1.DisruptionReason) *block {
	return &block{reason: ReasonBudgetExhausted, message: fmt.Sprintf(
		"NodePool %s's disruption budget for %s nodes is used up by the nodes this pass already removes", np.Name, reason)}
}

func countIn(cands []*Candidate, pool string) int {
	n := 0
	for _, c := range cands {
		if c.NodePool.Name == pool {
			n++
		}
	}
	return n
}

// precheck finds what stops consolidation of a candidate before any simulation, in the order a person
// would fix them; the budget is checked by the caller.
func (p *pass) precheck(c *Candidate, reason v1.DisruptionReason) *block {
	if !initialized(c) {
		return &block{reason: ReasonNotInitialized, transient: true, message: fmt.Sprintf(
			"node %s has not finished initializing (label %s=true); consolidation waits for it", c.Name, v1.NodeInitializedLabelKey)}
	}
	if b := doNotDisrupt(c); b != nil {
		return b
	}
	if b := p.consolidateAfter(c); b != nil {
		return b
	}
	if reason == v1.DisruptionReasonUnderutilized && c.NodePool.Spec.Disruption.ConsolidationPolicy == v1.ConsolidationPolicyWhenEmpty {
		return &block{reason: ReasonPolicyWhenEmpty, message: fmt.Sprintf(
			"it runs %d pods and NodePool %s consolidates only empty nodes (spec.disruption.consolidationPolicy: WhenEmpty); set WhenEmptyOrUnderutilized to let Stevedore repack them",
			len(c.Pods), c.NodePool.Name)}
	}
	return p.pdbBlocked(c)
}

// underutilized sorts the non-empty candidates consolidation may act on (eligible) from the ones a rule
// stops, recording a verdict for those that no simulation would change (blocked ones come back with their
// block, to be simulated for the savings they hold back).
func (p *pass) underutilized() (eligible []*Candidate, held map[*Candidate]*block) {
	held = map[*Candidate]*block{}
	for _, c := range p.candidates {
		if p.used[c] || len(c.Pods) == 0 {
			continue
		}
		b := p.precheck(c, v1.DisruptionReasonUnderutilized)
		if b == nil {
			if n, bb := p.allowed(c.NodePool, v1.DisruptionReasonUnderutilized); n == 0 {
				b = bb
			}
		}
		switch {
		case b == nil:
			eligible = append(eligible, c)
		case b.transient:
			p.blocked(c, b, 0)
		default:
			held[c] = b
		}
	}
	// Cheapest to disrupt first: fewest pods, then emptiest, then dearest (the most to save).
	slices.SortStableFunc(eligible, func(a, b *Candidate) int {
		return cmp.Or(cmp.Compare(len(a.Pods), len(b.Pods)), cmp.Compare(a.Utilization, b.Utilization), cmp.Compare(b.PricePerHour, a.PricePerHour))
	})
	return eligible, held
}
