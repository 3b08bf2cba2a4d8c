package termination

import (
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Event reasons.
const (
	// ReasonDeletingNode: the claim deleted its Node, which drains before the instance is terminated.
	ReasonDeletingNode = "DeletingNode"
	// ReasonInstanceTerminating: the cloud is shutting the claim's instance down.
	ReasonInstanceTerminating = "InstanceTerminating"
	// ReasonTerminated: the instance is gone and the claim's finalizer removed.
	ReasonTerminated = "Terminated"
)

// dedupeWindow is how long an identical event about one claim is suppressed: an instance shutting down is
// checked every few seconds and should say so once.
const dedupeWindow = 2 * time.Minute

type eventValue struct {
	eventType, reason, action, note string
}

func deletingNode(node string) eventValue {
	return eventValue{corev1.EventTypeNormal, ReasonDeletingNode, "Terminate", fmt.Sprintf("Deleted node %s; waiting for it to drain", node)}
}

func instanceTerminating(providerID string) eventValue {
	return eventValue{corev1.EventTypeNormal, ReasonInstanceTerminating, "Terminate", fmt.Sprintf("Waiting for instance %s to terminate", providerID)}
}

func terminated(providerID string) eventValue {
	note := "Removed finalizer; the claim never launched an instance"
	if providerID != "" {
		note = fmt.Sprintf("Instance %s is gone", providerID)
	}
	return eventValue{corev1.EventTypeNormal, ReasonTerminated, "Terminate", note}
}

// publisher records events, dropping one identical to an event about the same claim within dedupeWindow.
type publisher struct {
	recorder events.EventRecorder
	clock    clock.PassiveClock
	mu       sync.Mutex
	seen     map[string]time.Time
}

func newPublisher(r events.EventRecorder, clk clock.PassiveClock) *publisher {
	return &publisher{recorder: r, clock: clk, seen: map[string]time.Time{}}
}

func (p *publisher) publish(claim *v1.NodeClaim, e eventValue) {
	if p.recorder == nil {
		return
	}
	key := string(claim.UID) + "/" + e.reason + "/" + e.note
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
	p.recorder.Eventf(claim, nil, e.eventType, e.reason, e.action, "%s", e.note)
}
