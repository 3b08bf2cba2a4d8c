package disruption

import (
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// multiNode looks for the longest prefix of the eligible candidates, in disruption-cost order, whose pods fit
// on the other nodes plus at most two cheaper replacements. The search is a binary search over the prefix
// length, so it runs O(log n) simulations for n candidates (at most MaxMultiNodeCandidates).
func (p *pass) multiNode() *Command {
	eligible, _ := p.underutilizedOnce()
	var prefix []*Candidate
	room := map[string]int{}
	for _, c := range eligible {
		if len(prefix) == p.in.Options.MaxMultiNodeCandidates {
			break
		}
		pool := c.NodePool.Name
		if _, ok := room[pool]; !ok {
			room[pool], _ = p.allowed(c.NodePool, v1.DisruptionReasonUnderutilized)
		}
		if room[pool] == 0 {
			continue
		}
		room[pool]--
		prefix = append(prefix, c)
	}
	var best *Command
	lo, hi := 2, len(prefix)
	for lo <= hi {
		mid := (lo + hi) / 2
		cands := prefix[:mid]
		cmd, b := p.outcome(MethodMultiNode, cands, p.simulate(cands), 2)
		if b == nil {
			b = p.judge(cmd)
		}
		if b == nil {
			best, lo = cmd, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best != nil {
		for _, c := range best.Candidates {
			p.consolidatable(c, best)
		}
	}
	return best
}

// singleNode simulates each candidate alone, cheapest to disrupt first, until the deadline: its verdict is
// what the simulation says, and the first that would be consolidated becomes the command. Candidates a rule
// holds back are simulated last, so their verdict can say what the rule costs. The simulations run side by
// side (see singles); their outcomes are judged in order, so the result is the same as one by one.
func (p *pass) singleNode() *Command {
	eligible, held := p.underutilizedOnce()
	order := make([]*Candidate, 0, len(eligible)+len(held))
	for _, c := range eligible {
		if !p.used[c] {
			order = append(order, c)
		}
	}
	for _, c := range p.candidates {
		if held[c] != nil {
			order = append(order, c)
		}
	}
	free := p.freeRoom()
	var chosen *Command
	for i, out := range p.singles(order, free) {
		c := order[i]
		hold := held[c]
		cmd, b := out.cmd, out.block
		switch {
		case b != nil && hold != nil:
			p.blocked(c, hold, 0)
		case b != nil:
			p.blocked(c, b, 0)
		case hold != nil:
			p.blocked(c, hold, cmd.Savings())
		case chosen == nil:
			if n, bb := p.allowed(c.NodePool, v1.DisruptionReasonUnderutilized); n == 0 {
				p.blocked(c, bb, cmd.Savings())
				continue
			}
			chosen = cmd
			p.consolidatable(c, cmd)
		default:
			p.consolidatable(c, cmd)
		}
	}
	return chosen
}

// single simulates consolidating one candidate, after a quick check that rules out most busy nodes without a
// simulation: its pods must fit in the other nodes' free room, or on an instance type cheaper than it.
func (p *pass) single(c *Candidate, free corev1.ResourceList) (*Command, *block) {
	maxNew := maxReplacements([]*Candidate{c}, 1)
	if !fits(coreRequests(c.Requests), free) && (maxNew == 0 || !p.cheaperTypeHolds(c)) {
		return nil, &block{reason: ReasonNoCheaperReplacement, message: fmt.Sprintf(
			"its pods' requests (%s CPU, %s memory) fit neither in the free room of the other nodes nor on an instance type cheaper than its $%.4f/h",
			quantity(c.Requests, corev1.ResourceCPU), quantity(c.Requests, corev1.ResourceMemory), c.PricePerHour)}
	}
	cmd, b := p.outcome(MethodSingleNode, []*Candidate{c}, p.simulate([]*Candidate{c}), 1)
	if b != nil {
		return nil, b
	}
	if b := p.judge(cmd); b != nil {
		return nil, b
	}
	return cmd, nil
}

// underutilizedOnce computes the underutilized candidates once per pass; multi-node and single-node share
// them.
func (p *pass) underutilizedOnce() ([]*Candidate, map[*Candidate]*block) {
	if p.eligible == nil {
		p.eligible, p.held = p.underutilized()
		if p.eligible == nil {
			p.eligible = []*Candidate{}
		}
	}
	return p.eligible, p.held
}

// freeRoom is the CPU and memory the nodes that stay have free, a bound on what any candidate's pods can use
// without a new node.
func (p *pass) freeRoom() corev1.ResourceList {
	free := corev1.ResourceList{}
	for i, n := range p.in.Snapshot.Nodes {
		if p.disrupting[i] {
			continue
		}
		addTo(free, coreRequests(subtract(n.Allocatable, requests(n.Pods))))
	}
	return free
}

// cheaperTypeHolds reports whether any instance type of the candidate's pool is offered for less than the
// candidate costs and has room for its pods: a necessary condition for a cheaper replacement.
func (p *pass) cheaperTypeHolds(c *Candidate) bool {
	np := p.pools[c.NodePool.Name]
	need := coreRequests(c.Requests)
	for _, it := range np.InstanceTypes {
		if cheapest(it) < c.PricePerHour && fits(need, it.Available()) {
			return true
		}
	}
	return false
}

func cheapest(it *cloudprovider.InstanceType) float64 {
	if o, ok := it.Offerings.Available().Cheapest(); ok {
		return o.Price
	}
	return math.Inf(1)
}

// coreRequests keeps CPU and memory, what the quick checks compare.
func coreRequests(l corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := l[name]; ok {
			out[name] = q
		}
	}
	return out
}

func quantity(l corev1.ResourceList, name corev1.ResourceName) string {
	q := l[name]
	return q.String()
}
