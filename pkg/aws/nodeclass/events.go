package nodeclass

import (
	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/events"
)

// Events about an EC2NodeClass are published only when the condition they report changes, so a class that
// waits for an hour produces one event, not one per reconcile, and the publisher needs no window to drop repeats.
const dedupeWindow = 0

func waitingOnNodeClaims(note string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: awsv1.ReasonWaitingOnNodeClaims, Action: "Finalize", Note: note}
}

func notReady(reason, note string) events.Event {
	return events.Event{Type: corev1.EventTypeWarning, Reason: reason, Action: "Resolve", Note: note}
}

func (c *Controller) publish(nc *awsv1.EC2NodeClass, e events.Event) { c.events.Publish(nc, e) }
