package termination

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sevents "k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"

	"github.com/stevedore-dev/stevedore/pkg/events"
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

func draining(node string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonDraining, Action: "Drain",
		Note: fmt.Sprintf("Tainted node %s and draining it", node)}
}

func evicted(node string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonEvicted, Action: "Evict",
		Note: fmt.Sprintf("Evicted pod to drain node %s", node)}
}

func evictionBlocked(node string, pdbs []string) events.Event {
	by := "a PodDisruptionBudget"
	if len(pdbs) > 0 {
		by = "PodDisruptionBudget " + strings.Join(pdbs, ", ")
	}
	return events.Event{Type: corev1.EventTypeWarning, Reason: ReasonEvictionBlocked, Action: "Evict",
		Note: fmt.Sprintf("Eviction to drain node %s blocked by %s; retrying with backoff", node, by)}
}

func doNotDisruptWaiting(p *corev1.Pod) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonDoNotDisrupt, Action: "Drain",
		Note: fmt.Sprintf("Waiting for pod %s/%s, annotated do-not-disrupt, to leave", p.Namespace, p.Name)}
}

func deletedAfterGracePeriod(node string, grace int64) events.Event {
	return events.Event{Type: corev1.EventTypeWarning, Reason: ReasonDeletedAfterGracePeriod, Action: "Delete",
		Note: fmt.Sprintf("Deleted pod with a %ds grace period so it ends by node %s's termination deadline", grace, node)}
}

func waitingOnVolumes(n int) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonWaitingOnVolumes, Action: "Drain",
		Note: fmt.Sprintf("Waiting for %d volume attachment(s) to go", n)}
}

func terminated(node string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonTerminated, Action: "Terminate",
		Note: fmt.Sprintf("Terminated node %s and its instance", node)}
}

// publisher publishes the controller's events, dropping one identical to an event about the same object within
// dedupeWindow.
type publisher struct{ recorder *events.Recorder }

func newPublisher(r k8sevents.EventRecorder, clk clock.PassiveClock) *publisher {
	return &publisher{recorder: events.NewRecorder(r, clk, dedupeWindow)}
}

func (p *publisher) publish(regarding runtime.Object, e events.Event) {
	p.recorder.Publish(regarding, e)
}
