package provisioning

import (
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Event reasons the provisioner publishes.
const (
	// ReasonNominated: on a pod, the node or NodeClaim the provisioner placed it on.
	ReasonNominated = "Nominated"
	// ReasonFailedProvisioning: on a pod, why no capacity could be found or launched for it.
	ReasonFailedProvisioning = "FailedProvisioning"
	// ReasonLimitReached: on a NodePool, that its limits stopped the provisioner launching for pending pods.
	ReasonLimitReached = "LimitReached"
	// ReasonNodePoolSkipped: on a NodePool, that it was left out of provisioning (its node class is not ready,
	// or its validation failed).
	ReasonNodePoolSkipped = "NodePoolSkipped"
)

// DefaultEventTTL is how long an event is not repeated for the same object with the same message: a pod that
// stays unschedulable is re-solved every batch, and its events would otherwise flood the API server.
const DefaultEventTTL = 5 * time.Minute

// event is one event to publish, built by the functions below.
type event struct {
	regarding client.Object
	eventType string
	reason    string
	note      string
}

func nominated(pod *corev1.Pod, kind, target string) event {
	return event{regarding: pod, eventType: corev1.EventTypeNormal, reason: ReasonNominated,
		note: fmt.Sprintf("Pod should schedule on %s %s", kind, target)}
}

func failedProvisioning(pod *corev1.Pod, reason string) event {
	return event{regarding: pod, eventType: corev1.EventTypeWarning, reason: ReasonFailedProvisioning,
		note: "Cannot provision capacity: " + reason}
}

func limitReached(np *v1.NodePool, reason string) event {
	return event{regarding: np, eventType: corev1.EventTypeWarning, reason: ReasonLimitReached,
		note: "Pending pods need more capacity than the limits allow: " + reason}
}

func nodePoolSkipped(np *v1.NodePool, why string) event {
	return event{regarding: np, eventType: corev1.EventTypeWarning, reason: ReasonNodePoolSkipped,
		note: "NodePool is not used for provisioning: " + why}
}

// publisher sends events through a recorder, dropping one it already sent for the same object, reason and
// note within the TTL.
type publisher struct {
	recorder events.EventRecorder
	clock    clock.PassiveClock
	ttl      time.Duration

	mu   sync.Mutex
	sent map[string]time.Time
	// sweepAt is when sent is next cleared of expired entries, so that it stays as small as its TTL allows.
	sweepAt time.Time
}

func newPublisher(recorder events.EventRecorder, clk clock.PassiveClock, ttl time.Duration) *publisher {
	return &publisher{recorder: recorder, clock: clk, ttl: ttl, sent: map[string]time.Time{}}
}

// publish sends e unless it was sent within the TTL, and reports whether it was new.
func (p *publisher) publish(e event) bool {
	key := string(e.regarding.GetUID()) + "/" + e.regarding.GetNamespace() + "/" + e.regarding.GetName() + "/" + e.reason + "/" + e.note
	now := p.clock.Now()
	p.mu.Lock()
	if now.After(p.sweepAt) {
		for k, until := range p.sent {
			if !now.Before(until) {
				delete(p.sent, k)
			}
		}
		p.sweepAt = now.Add(p.ttl)
	}
	if until, ok := p.sent[key]; ok && now.Before(until) {
		p.mu.Unlock()
		return false
	}
	p.sent[key] = now.Add(p.ttl)
	p.mu.Unlock()
	if p.recorder != nil {
		p.recorder.Eventf(e.regarding, nil, e.eventType, e.reason, "Provision", "%s", e.note)
	}
	return true
}
