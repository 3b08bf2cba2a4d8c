package solver

// Solve places the snapshot's pending pods. It is deterministic: the same snapshot gives the same plan.
func Solve(snapshot *Snapshot) *Plan {
	return newSolver(snapshot).solve()
}
