package disruption

import "github.com/stevedore-dev/stevedore/pkg/solver"

// SimulateEachBothWays simulates removing each candidate of a pass over in alone, handing the solver the
// nodes lightened (see folding) and as they are, and returns both plans by candidate name.
func SimulateEachBothWays(in *Input) (lightened, whole map[string]*solver.Plan) {
	c := newCluster(in)
	lightened, whole = map[string]*solver.Plan{}, map[string]*solver.Plan{}
	fold := c.fold
	for _, cand := range c.candidates {
		c.fold = fold
		lightened[cand.Name] = c.simulate([]*Candidate{cand})
		c.fold = nil
		whole[cand.Name] = c.simulate([]*Candidate{cand})
	}
	return lightened, whole
}
