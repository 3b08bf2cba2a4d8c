package provisioning

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// waiting remembers, for each pod the provisioner nominated, since when it has been pending, until the pod is
// bound (its pending-to-bound latency is observed) or deleted.
type waiting struct {
	mu    sync.Mutex
	since map[types.NamespacedName]time.Time
}

func newWaiting() *waiting { return &waiting{since: map[types.NamespacedName]time.Time{}} }

// nominated records a pod's pending start the first time it is nominated.
func (w *waiting) nominated(pod types.NamespacedName, since time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.since[pod]; !ok {
		w.since[pod] = since
	}
}

// bound returns how long a nominated pod waited to be bound, once, when it is bound; false for pods not
// nominated, not yet bound, or already counted.
func (w *waiting) bound(p *corev1.Pod, now time.Time) (time.Duration, bool) {
	if p.Spec.NodeName == "" {
		return 0, false
	}
	key := types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
	w.mu.Lock()
	defer w.mu.Unlock()
	since, ok := w.since[key]
	if !ok {
		return 0, false
	}
	delete(w.since, key)
	at := now
	if cond := podScheduled(p); cond != nil && cond.Status == corev1.ConditionTrue && !cond.LastTransitionTime.IsZero() {
		at = cond.LastTransitionTime.Time
	}
	return max(at.Sub(since), 0), true
}

// forget drops a deleted pod.
func (w *waiting) forget(pod types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.since, pod)
}
