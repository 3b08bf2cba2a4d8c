package termination

import (
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
)

// Event reasons.
const (
	// ReasonDraining: the node is tainted and its pods are being evicted.
	ReasonDraining = "Draining"
	// ReasonEvicted: a pod was evicted from a draining node.
	ReasonEvicted = "Evicted"
	// ReasonEvictionBlocked: a PodDisruptionBudget refused an eviction; it is retried with backoff.
	ReasonEvictionBlocked = "EvictionBlocked"
	// ReasonDoNotDisrupt: a pod annotated stevedore.dev/do-not-disrupt holds the node until it leaves or the
	// termination grace period runs out.
	ReasonDoNotDisrupt = "DoNotDisrupt"
	// ReasonDeletedAfterGracePeriod: a pod was deleted, not evicted, because the node's termination grace
	// period would run out before the pod's own grace period.
	ReasonDeletedAfterGracePeriod = "DeletedAfterGracePeriod"
	// ReasonWaitingOnVolumes: the drained node waits for its volumes to detach.
	ReasonWaitingOnVolumes = "WaitingOnVolumes"
	// ReasonTerminated: the node's instance is gone and the node's finalizer removed.
	ReasonTerminated = "Terminated"
)

// dedupeWindow is how long an identical event is suppressed: a node blocked for an hour reconciles hundreds of
// times and should say so a few dozen times at most.
const dedupeWindow = 2 * time.Minute

// eventValue is one event, built by the functions below.
type eventValue struct {
	eventType, reason, action, note string
}

func draining(node string) eventValue {
	return eventValue{corev1.EventTypeNormal, ReasonDraining, "Drain", fmt.Sprintf("Tainted node %s and draining it", node)}
}

func evicted(node string) eventValue {
	return eventValue{corev1.EventTypeNormal, ReasonEvicted, "Evict", fmt.Sprintf("Evicted pod to drain node %s", node)}
}

func evictionBlocked(node string, pdbs []string) eventValue {
	by := "a PodDisruptionBudget"
	if len(pdbs) > 0 {
		by = "PodDisruptionBudget " + strings.Join(pdbs, ", ")
	}
	return eventValue{corev1.EventTypeWarning, ReasonEvictionBlocked, "Evict",
		fmt.Sprintf("Eviction to drain node %s blocked by %s; retrying with backoff", node, by)}
}

func doNotDisruptWaiting(p *corev1.Pod) eventValue {
	return eventValue{corev1.EventTypeNormal, ReasonDoNotDisrupt, "Drain",
		fmt.Sprintf("Waiting for pod %s/%s, annotated do-not-disrupt, to leave", p.Namespace, p.Name)}
}

func deletedAfterGracePeriod(node string, grace int64) eventValue {
	return eventValue{corev1.EventTypeWarning, ReasonDeletedAfterGracePeriod, "Delete",
		fmt.Sprintf("Deleted pod with a %ds grace period so it ends by node %s's termination deadline", grace, node)}
}

func waitingOnVolumes(n int) eventValue {
	return eventValue{corev1.EventTypeNormal, ReasonWaitingOnVolumes, "Drain", fmt.Sprintf("Waiting for %d volume attachment(s) to go", n)}
}

func terminated(node string) eventValue {
	return eventValue{corev1.EventTypeNormal, ReasonTerminated, "Terminate", fmt.Sprintf("Terminated node %s and its instance", node)}
}

// publisher records events, dropping one identical to an event about the same object within dedupeWindow.
type publisher struct {
	recorder events.EventRecorder
	clock    clock.PassiveClock
	mu       sync.Mutex
	seen     map[string]time.Time
}

func newPublisher(r events.EventRecorder, clk clock.PassiveClock) *publisher {
	return &publisher{recorder: r, clock: clk, seen: map[string]time.Time{}}
}

func (p *publisher) publish(regarding runtime.Object, e eventValue) {
	if p.recorder == nil {
		return
	}
	m, err := meta.Accessor(regarding)
	if err != nil {
		return
	}
	key := string(m.GetUID()) + "/" + e.reason + "/" + e.note
	now := p.clock.Now()
	p.mu.Lock()
	if last, ok := p.seen[key]; ok && now.Sub(last) < dedupeWindow {
		p.mu.Unlock()
		return
	}
	for k, t := range p.seen {
		if now.Sub(t) >= dedupeWindow {
			delete(p.seen, k)
		}
	}
	p.seen[key] = now
	p.mu.Unlock()
	p.recorder.Eventf(regarding, nil, e.eventType, e.reason, e.action, "%s", e.note)
}
