package solver

import (
	"cmp"
	"math"
	"slices"
)

// lowerBound is the optimum of a linear relaxation of buying the new capacity: the cheapest fractional mix
// of instance types whose available capacity covers, resource by resource, the requests of every placed pod
// beyond what existing nodes had free, and with at least as many nodes as pods that need one each. Any plan
// placing the same pods costs at least this much.
func (s *solver) lowerBound() float64 {
	if len(s.newNodes) == 0 {
		return 0
	}
	demand := make(vector, len(s.res.names))
	existingNodes := 0
	for _, n := range s.nodes {
		if n.isNew {
			continue
		}
		existingNodes++
		free := n.free.clone()
		for c, k := range n.counts {
			free.add(c.req, k)
		}
		demand.sub(free, 1)
	}
	// Pods that each need a node of their own: the largest set of placed pods that are mutually
	// anti-affine on hostname or bind the same host port.
	alone := map[int]int{}
	types := map[*poolType]float64{}
	for _, c := range s.classes {
		demand.add(c.req, c.placed)
		for _, r := range c.rules {
			if r.kind == ruleAntiAffinity && r.self && r.key == "kubernetes.io/hostname" {
				alone[r.selector.id] += c.placed
			}
		}
		for _, o := range c.options {
			price := o.offerings[0].Price
			for _, off := range o.offerings {
				price = math.Min(price, off.Price)
			}
			if p, ok := types[o.pt]; !ok || price < p {
				types[o.pt] = price
			}
		}
	}
	needNodes := 0
	for _, n := range alone {
		needNodes = max(needNodes, n-existingNodes)
	}
	var rows []int
	for i, d := range demand {
		if d > 0 {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 && needNodes <= 0 {
		return 0
	}
	columns := make([]*poolType, 0, len(types))
	for pt := range types {
		columns = append(columns, pt)
	}
	slices.SortFunc(columns, func(a, b *poolType) int {
		if a.pool.name != b.pool.name {
			return cmp.Compare(a.pool.name, b.pool.name)
		}
		return cmp.Compare(a.it.Name, b.it.Name)
	})
	m := len(rows)
	if needNodes > 0 {
		m++
	}
	a := make([][]float64, m)
	b := make([]float64, m)
	for i, r := range rows {
		a[i] = make([]float64, len(columns))
		for j, pt := range columns {
			a[i][j] = float64(pt.avail[r])
		}
		b[i] = float64(demand[r])
	}
	if needNodes > 0 {
		a[m-1] = make([]float64, len(columns))
		for j := range columns {
			a[m-1][j] = 1
		}
		b[m-1] = float64(needNodes)
	}
	costs := make([]float64, len(columns))
	for j, pt := range columns {
		costs[j] = types[pt]
	}
	value, ok := minimizeCovering(a, b, costs)
	if !ok {
		return 0
	}
	return value
}

// minimizeCovering solves min c·x subject to A·x ≥ b, x ≥ 0 (b ≥ 0, c ≥ 0) with a two-phase tableau simplex
// and Bland's rule. Rows are few (one per resource), columns many (one per instance type), so the tableau
// is small. It reports false when the constraints cannot be met.
func minimizeCovering(a [][]float64, b, c []float64) (float64, bool) {
	const eps = 1e-9
	m, n := len(b), len(c)
	// Columns: x (n), surplus (m), artificial (m), then the right-hand side.
	width := n + 2*m
	t := make([][]float64, m)
	basis := make([]int, m)
	for i := range t {
		row := make([]float64, width+1)
		copy(row, a[i])
		row[n+i] = -1
		row[n+m+i] = 1
		row[width] = b[i]
		t[i] = row
		basis[i] = n + m + i
	}
	pivot := func(r, col int) {
		p := t[r][col]
		for j := range t[r] {
			t[r][j] /= p
		}
		for i := range t {
			if i == r || t[i][col] == 0 {
				continue
			}
			f := t[i][col]
			for j := range t[i] {
				t[i][j] -= f * t[r][j]
			}
		}
		basis[r] = col
	}
	run := func(cost func(int) float64, allowed int) bool {
		for iter := 0; iter < 10000; iter++ {
			enter := -1
			for j := 0; j < allowed; j++ {
				d := cost(j)
				for i := range t {
					d -= cost(basis[i]) * t[i][j]
				}
				if d < -eps {
					enter = j
					break
				}
			}
			if enter < 0 {
				return true
			}
			leave := -1
			best := math.Inf(1)
			for i := range t {
				if t[i][enter] > eps {
					if ratio := t[i][width] / t[i][enter]; ratio < best-eps || (ratio < best+eps && leave >= 0 && basis[i] < basis[leave]) {
						best, leave = ratio, i
					}
				}
			}
			if leave < 0 {
				return false // unbounded; cannot happen with non-negative costs
			}
			pivot(leave, enter)
		}
		return false
	}
	phase1 := func(j int) float64 {
		if j >= n+m {
			return 1
		}
		return 0
	}
	if !run(phase1, width) {
		return 0, false
	}
	infeasibility := 0.0
	for i := range t {
		infeasibility += phase1(basis[i]) * t[i][width]
	}
	if infeasibility > 1e-6 {
		return 0, false
	}
	phase2 := func(j int) float64 {
		if j < n {
			return c[j]
		}
		return 0
	}
	// Artificial columns may stay basic at zero; they are excluded from entering.
	if !run(phase2, n+m) {
		return 0, false
	}
	value := 0.0
	for i := range t {
		value += phase2(basis[i]) * t[i][width]
	}
	return value, true
}
