package disruption_test

import (
	"context"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stevedore-dev/stevedore/test/e2e/internal/harness"
)

// readyWatch follows the Ready pods of each app in a namespace through a watch, every event, and remembers
// the fewest each app had: what a PodDisruptionBudget protects.
type readyWatch struct {
	mu     sync.Mutex
	ready  map[string]map[string]bool // app -> pod -> ready
	fewest map[string]int
	stop   context.CancelFunc
	done   chan struct{}
}

// watchReady starts following the namespace's pods; the fewest counts start at the current ones.
func watchReady(t *testing.T, ns string) *readyWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rw := &readyWatch{ready: map[string]map[string]bool{}, fewest: map[string]int{}, stop: cancel, done: make(chan struct{})}
	// Seed from a list, then watch from its version: no event is missed and the counts start right.
	var list corev1.PodList
	if err := sb.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		cancel()
		t.Fatal(err)
	}
	for i := range list.Items {
		rw.set(&list.Items[i], true)
	}
	for app := range rw.ready {
		rw.fewest[app] = rw.count(app)
	}
	w, err := sb.Client.Watch(ctx, &corev1.PodList{}, client.InNamespace(ns),
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		defer close(rw.done)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.ResultChan():
				if !ok {
					return
				}
				if p, isPod := e.Object.(*corev1.Pod); isPod {
					rw.observe(e.Type, p)
				}
			}
		}
	}()
	t.Cleanup(rw.close)
	return rw
}

func (rw *readyWatch) observe(kind watch.EventType, p *corev1.Pod) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.set(p, kind != watch.Deleted)
	app := p.Labels["app"]
	if n, f := rw.count(app), rw.fewest[app]; n < f {
		rw.fewest[app] = n
	}
}

// set records whether the pod counts as ready: it exists, is not being deleted and is Ready.
func (rw *readyWatch) set(p *corev1.Pod, exists bool) {
	app := p.Labels["app"]
	pods, ok := rw.ready[app]
	if !ok {
		pods = map[string]bool{}
		rw.ready[app] = pods
	}
	pods[p.Name] = exists && p.DeletionTimestamp.IsZero() && harness.PodReady(p)
}

func (rw *readyWatch) count(app string) int {
	n := 0
	for _, r := range rw.ready[app] {
		if r {
			n++
		}
	}
	return n
}

// fewestReady is the fewest Ready pods the app had since the watch started.
func (rw *readyWatch) fewestReady(app string) int {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.fewest[app]
}

func (rw *readyWatch) close() {
	rw.stop()
	<-rw.done
}
