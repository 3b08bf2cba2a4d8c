package disruption

import (
	"fmt"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption/budgets"
)

// Evaluate runs one disruption pass over in: each method in the order of Methods picks at most one command
// within the budgets the commands before it left, and every candidate consolidation judged gets a Verdict.
// checker caches parsed budget schedules between passes; nil parses them afresh.
func Evaluate(in *Input, checker *budgets.Checker) *Result {
	cp := *in
	cp.Options = in.Options.withDefaults()
	if checker == nil {
		checker = &budgets.Checker{}
	}
	p := &pass{cluster: newCluster(&cp), checker: checker, taken: map[string]int{}, used: map[*Candidate]bool{}}
	p.result = &Result{Verdicts: map[string]Verdict{}, Candidates: map[string]*Candidate{}}
	for _, cand := range p.candidates {
		p.result.Candidates[cand.Name] = cand
	}
	for _, m := range Methods {
		var cmd *Command
		switch m {
		case MethodExpiration:
			cmd = p.replaceEach(m, p.expired)
		case MethodDrift:
			cmd = p.replaceEach(m, drifted)
		case MethodEmptiness:
			cmd = p.emptiness()
		case MethodMultiNode:
			cmd = p.multiNode()
		case MethodSingleNode:
			cmd = p.singleNode()
		}
		if cmd != nil {
			p.result.Commands = append(p.result.Commands, cmd)
			for _, cand := range cmd.Candidates {
				p.used[cand] = true
				p.taken[cand.NodePool.Name]++
				// Later methods' simulations must neither place pods on this node nor forget its pods.
				p.disrupting[cand.index] = true
			}
		}
	}
	p.result.Simulations = int(p.simulations.Load())
	return p.result
}

// pass is one Evaluate: the cluster, and what the commands chosen so far took.
type pass struct {
	*cluster
	checker *budgets.Checker
	result  *Result
	// taken counts the nodes each pool's chosen commands disrupt; used marks their candidates.
	taken map[string]int
	used  map[*Candidate]bool
	// eligible and held are the underutilized candidates, computed once; see underutilizedOnce.
	eligible []*Candidate
	held     map[*Candidate]*block
}

// allowed is how many more of the pool's nodes may be disrupted for reason, and the block to report when none.
func (p *pass) allowed(np *v1.NodePool, reason v1.DisruptionReason) (int, *block) {
	pool := budgets.Pool{NodePool: np, Nodes: p.nodesByPool[np.Name], Disrupting: p.disruptingByPool[np.Name] + p.taken[np.Name]}
	n, limit, err := p.checker.Allowed(pool, reason, p.in.Now)
	if err != nil {
		return 0, &block{reason: ReasonBudgetExhausted, message: fmt.Sprintf("NodePool %s allows no disruption until its budget is fixed: %v", np.Name, err)}
	}
	if n > 0 {
		return n, nil
	}
	msg := fmt.Sprintf("NodePool %s's disruption budget allows no more %s nodes disrupted now", np.Name, reason)
	if limit != nil {
		msg = fmt.Sprintf("NodePool %s: %s", np.Name, limit.String())
	}
	return 0, &block{reason: ReasonBudgetExhausted, message: msg}
}

// verdict records a candidate's verdict under its claim's name, or its node's.
func (p *pass) verdict(c *Candidate, v Verdict) {
	key := c.NodeClaim
	if key == "" {
		key = c.Name
	}
	p.result.Verdicts[key] = v
}

// blocked records that b stops consolidation of c; savings is what consolidating it would save, 0 if unknown.
func (p *pass) blocked(c *Candidate, b *block, savings float64) {
	msg := b.message
	if savings > 0 {
		msg += fmt.Sprintf("; consolidating it would save $%.4f/h", savings)
	}
	p.verdict(c, Verdict{Reason: b.reason, Message: msg, SavingsBlocked: savings})
}

// consolidatable records the command c takes part in.
func (p *pass) consolidatable(c *Candidate, cmd *Command) {
	reason, what := ReasonDelete, "delete it"
	if len(cmd.Replacements) > 0 {
		reason = ReasonReplace
		what = "replace it"
	}
	msg := fmt.Sprintf("%s would %s: %s", cmd.Method, what, cmd)
	p.verdict(c, Verdict{Consolidatable: true, Reason: reason, Message: msg})
}
