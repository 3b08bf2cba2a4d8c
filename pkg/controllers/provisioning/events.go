package provisioning

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	k8sevents "k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/events"
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

// event is one event to publish and the object it is about, built by the functions below.
type event struct {
	regarding client.Object
	events.Event
}

// provision is every event's action: the provisioner only ever tries to provision.
const provision = "Provision"

func nominated(pod *corev1.Pod, kind, target string) event {
	return event{pod, events.Event{Type: corev1.EventTypeNormal, Reason: ReasonNominated, Action: provision,
		Note: fmt.Sprintf("Pod should schedule on %s %s", kind, target)}}
}

func failedProvisioning(pod *corev1.Pod, reason string) event {
	return event{pod, events.Event{Type: corev1.EventTypeWarning, Reason: ReasonFailedProvisioning, Action: provision,
		Note: "Cannot provision capacity: " + reason}}
}

func limitReached(np *v1.NodePool, reason string) event {
	return event{np, events.Event{Type: corev1.EventTypeWarning, Reason: ReasonLimitReached, Action: provision,
		Note: "Pending pods need more capacity than the limits allow: " + reason}}
}

func nodePoolSkipped(np *v1.NodePool, why string) event {
	return event{np, events.Event{Type: corev1.EventTypeWarning, Reason: ReasonNodePoolSkipped, Action: provision,
		Note: "NodePool is not used for provisioning: " + why}}
}

// publisher sends events through a recorder, dropping one it already sent for the same object, reason and
// note within the TTL.
type publisher struct{ recorder *events.Recorder }

func newPublisher(recorder k8sevents.EventRecorder, clk clock.PassiveClock, ttl time.Duration) *publisher {
	return &publisher{recorder: events.NewRecorder(recorder, clk, ttl)}
}

// publish sends e unless it was sent within the TTL, and reports whether it was new.
func (p *publisher) publish(e event) bool { return p.recorder.Publish(e.regarding, e.Event) }
