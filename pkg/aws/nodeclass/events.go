package nodeclass

import (
	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

// eventValue is an event about an EC2NodeClass. Events are published only when the condition they report
// changes, so a class that waits for an hour produces one event, not one per reconcile.
type eventValue struct {
	eventType, reason, action, note string
}

func waitingOnNodeClaims(note string) eventValue {
	return eventValue{eventType: corev1.EventTypeNormal, reason: awsv1.ReasonWaitingOnNodeClaims, action: "Finalize", note: note}
}

func notReady(reason, note string) eventValue {
	return eventValue{eventType: corev1.EventTypeWarning, reason: reason, action: "Resolve", note: note}
}

func (c *Controller) publish(nc *awsv1.EC2NodeClass, e eventValue) {
	if c.Recorder != nil {
		c.Recorder.Eventf(nc, nil, e.eventType, e.reason, e.action, "%s", e.note)
	}
}
