package termination

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	k8sevents "k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/events"
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

func deletingNode(node string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonDeletingNode, Action: "Terminate",
		Note: fmt.Sprintf("Deleted node %s; waiting for it to drain", node)}
}

func instanceTerminating(providerID string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonInstanceTerminating, Action: "Terminate",
		Note: fmt.Sprintf("Waiting for instance %s to terminate", providerID)}
}

func terminated(providerID string) events.Event {
	note := "Removed finalizer; the claim never launched an instance"
	if providerID != "" {
		note = fmt.Sprintf("Instance %s is gone", providerID)
	}
	return events.Event{Type: corev1.EventTypeNormal, Reason: ReasonTerminated, Action: "Terminate", Note: note}
}

// publisher publishes the controller's events, dropping one identical to an event about the same claim within
// dedupeWindow.
type publisher struct{ recorder *events.Recorder }

func newPublisher(r k8sevents.EventRecorder, clk clock.PassiveClock) *publisher {
	return &publisher{recorder: events.NewRecorder(r, clk, dedupeWindow)}
}

func (p *publisher) publish(claim *v1.NodeClaim, e events.Event) { p.recorder.Publish(claim, e) }
