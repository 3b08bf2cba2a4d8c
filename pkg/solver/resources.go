package solver

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// resources maps resource names to positions in fixed-size vectors, so fit checks are integer compares.
// cpu is kept in millicores, everything else in its base unit (bytes, pods, devices).
type resources struct {
	names []corev1.ResourceName
	index map[corev1.ResourceName]int
}

// vector is an amount of every indexed resource.
type vector []int64

func newResources() *resources {
	r := &resources{index: map[corev1.ResourceName]int{}}
	// Fixed positions for the resources every node has keep vectors of different snapshots comparable.
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods, corev1.ResourceEphemeralStorage} {
		r.add(name)
	}
	return r
}

func (r *resources) add(name corev1.ResourceName) {
	if _, ok := r.index[name]; !ok {
		r.index[name] = len(r.names)
		r.names = append(r.names, name)
	}
}

// addAll indexes every resource named in l, in name order so the index is deterministic.
func (r *resources) addAll(l corev1.ResourceList) {
	names := make([]corev1.ResourceName, 0, len(l))
	for name := range l {
		if _, ok := r.index[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		r.add(name)
	}
}

// vector converts l; resources not indexed are dropped (callers index everything first).
func (r *resources) vector(l corev1.ResourceList) vector {
	v := make(vector, len(r.names))
	for name, q := range l {
		i, ok := r.index[name]
		if !ok {
			continue
		}
		if name == corev1.ResourceCPU {
			v[i] = q.MilliValue()
		} else {
			v[i] = q.Value()
		}
	}
	return v
}

// list converts v back, leaving out zeros.
func (r *resources) list(v vector) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i, n := range v {
		if n == 0 {
			continue
		}
		out[r.names[i]] = quantity(r.names[i], n)
	}
	return out
}

// fits reports whether req fits in free.
func (v vector) fits(req vector) bool {
	for i, n := range req {
		if n > v[i] {
			return false
		}
	}
	return true
}

// count is how many copies of req fit in v, capped at limit.
func (v vector) count(req vector, limit int) int {
	n := limit
	for i, r := range req {
		if r <= 0 {
			continue
		}
		if c := v[i] / r; c < int64(n) {
			n = int(c)
		}
	}
	return max(n, 0)
}

// sub subtracts k copies of req in place.
func (v vector) sub(req vector, k int) {
	for i, r := range req {
		v[i] -= r * int64(k)
	}
}

// add adds k copies of req in place.
func (v vector) add(req vector, k int) {
	for i, r := range req {
		v[i] += r * int64(k)
	}
}

func (v vector) clone() vector { return slices.Clone(v) }

// density is the largest share of v that one req takes, over the resources req asks for.
func (v vector) density(req vector) float64 {
	d := 0.0
	for i, r := range req {
		if r > 0 && v[i] > 0 {
			d = max(d, float64(r)/float64(v[i]))
		}
	}
	return d
}
