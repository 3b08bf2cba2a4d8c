package disruption

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	"github.com/stevedore-dev/stevedore/pkg/disruption/budgets"
)

// Revalidate checks a command chosen earlier against a fresh Input, after the validation period: every
// candidate is still a candidate with the same pods (none arrived, none left), no rule holds it back now
// (do-not-disrupt, PodDisruptionBudgets, consolidateAfter, budgets), and its pods still fit with no more
// replacements, for no more money, than when it was chosen. It returns the command recomputed on the fresh
// Input, whose replacements are the ones to launch, or an error saying what changed.
//
// Expiration and drift commands are not validated: the node must go whatever changed.
func Revalidate(in *Input, cmd *Command, checker *budgets.Checker) (*Command, error) {
	cp := *in
	cp.Options = in.Options.withDefaults()
	if checker == nil {
		checker = &budgets.Checker{}
	}
	p := &pass{cluster: newCluster(&cp), checker: checker, taken: map[string]int{}, used: map[*Candidate]bool{}}
	byName := map[string]*Candidate{}
	for _, c := range p.candidates {
		byName[c.Name] = c
	}
	fresh := make([]*Candidate, 0, len(cmd.Candidates))
	for _, old := range cmd.Candidates {
		c, ok := byName[old.Name]
		if !ok {
			return nil, fmt.Errorf("node %s is no longer a candidate: it is gone or already being disrupted", old.Name)
		}
		if !samePods(old, c) {
			return nil, fmt.Errorf("pods arrived on or left node %s during validation", c.Name)
		}
		if b := p.precheck(c, cmd.Reason()); b != nil {
			return nil, fmt.Errorf("node %s: %s", c.Name, b.message)
		}
		fresh = append(fresh, c)
	}
	for pool, n := range countByPool(fresh) {
		allowed, b := p.allowed(fresh[indexOfPool(fresh, pool)].NodePool, cmd.Reason())
		if allowed < n {
			if b == nil {
				b = usedUp(fresh[indexOfPool(fresh, pool)].NodePool, cmd.Reason())
			}
			return nil, fmt.Errorf("%s", b.message)
		}
	}
	if cmd.Method == MethodEmptiness {
		for _, c := range fresh {
			if len(c.Pods) > 0 {
				return nil, fmt.Errorf("node %s is no longer empty", c.Name)
			}
		}
		return &Command{Method: cmd.Method, Candidates: fresh}, nil
	}
	again, b := p.outcome(cmd.Method, fresh, p.simulate(fresh), len(cmd.Replacements))
	if b == nil {
		b = p.judge(again)
	}
	if b != nil {
		return nil, fmt.Errorf("the command no longer holds: %s", b.message)
	}
	if again.ReplacementPricePerHour() > cmd.ReplacementPricePerHour()*(1+1e-9) {
		return nil, fmt.Errorf("replacements now cost $%.4f/h, more than the $%.4f/h planned", again.ReplacementPricePerHour(), cmd.ReplacementPricePerHour())
	}
	return again, nil
}

// samePods reports whether the candidate runs the same movable pods as before.
func samePods(a, b *Candidate) bool {
	if len(a.Pods) != len(b.Pods) {
		return false
	}
	seen := make(map[types.UID]bool, len(a.Pods))
	names := make(map[types.NamespacedName]bool, len(a.Pods))
	for _, p := range a.Pods {
		seen[p.UID] = true
		names[types.NamespacedName{Namespace: p.Namespace, Name: p.Name}] = true
	}
	for _, p := range b.Pods {
		if !seen[p.UID] || !names[types.NamespacedName{Namespace: p.Namespace, Name: p.Name}] {
			return false
		}
	}
	return true
}

func countByPool(cands []*Candidate) map[string]int {
	out := map[string]int{}
	for _, c := range cands {
		out[c.NodePool.Name]++
	}
	return out
}

func indexOfPool(cands []*Candidate, pool string) int {
	for i, c := range cands {
		if c.NodePool.Name == pool {
			return i
		}
	}
	return -1
}
