package disruption

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// requests sums the pods' effective requests (init containers, sidecars and overhead included).
func requests(pods []*corev1.Pod) corev1.ResourceList {
	total := corev1.ResourceList{}
	for _, p := range pods {
		for name, q := range scheduling.PodRequests(p) {
			sum := total[name]
			sum.Add(q)
			total[name] = sum
		}
	}
	return total
}

// fits reports whether every request is within what is available.
func fits(req, available corev1.ResourceList) bool {
	for name, q := range req {
		if q.IsZero() {
			continue
		}
		a, ok := available[name]
		if !ok || q.Cmp(a) > 0 {
			return false
		}
	}
	return true
}

// subtract returns a minus b, resource by resource, keeping a's names.
func subtract(a, b corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for name, q := range a {
		d := q.DeepCopy()
		if s, ok := b[name]; ok {
			d.Sub(s)
		}
		out[name] = d
	}
	return out
}

// addTo adds b into a.
func addTo(a, b corev1.ResourceList) {
	for name, q := range b {
		s := a[name]
		s.Add(q)
		a[name] = s
	}
}
