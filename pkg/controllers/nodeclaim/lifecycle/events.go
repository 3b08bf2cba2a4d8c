package lifecycle

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// eventValue is an event about a NodeClaim. Each is published when the claim's state changes (a launch, a
// registration, a deletion, a condition turning False), never once per reconcile, so a claim that waits for an
// hour produces one event, not hundreds.
type eventValue struct {
	eventType, reason, action, note string
}

func launchedEvent(claim *v1.NodeClaim) eventValue {
	return eventValue{
		eventType: corev1.EventTypeNormal, reason: v1.ConditionTypeLaunched, action: "Launch",
		note: fmt.Sprintf("launched %s %s in %s as %s", claim.Labels[v1.CapacityTypeLabelKey],
			claim.Labels[corev1.LabelInstanceTypeStable], claim.Labels[corev1.LabelTopologyZone], claim.Status.ProviderID),
	}
}

func insufficientCapacity(err error) eventValue {
	return eventValue{
		eventType: corev1.EventTypeWarning, reason: v1.ReasonInsufficientCapacity, action: "Delete",
		note: fmt.Sprintf("deleting the nodeclaim so its pods are provisioned again: %v", err),
	}
}

func nodeClassNotReady(err error) eventValue {
	return eventValue{eventType: corev1.EventTypeWarning, reason: v1.ReasonNodeClassNotReady, action: "Launch", note: err.Error()}
}

func registered(node string) eventValue {
	return eventValue{eventType: corev1.EventTypeNormal, reason: v1.ConditionTypeRegistered, action: "Register",
		note: fmt.Sprintf("node %s registered", node)}
}

func initialized(node string) eventValue {
	return eventValue{eventType: corev1.EventTypeNormal, reason: v1.ConditionTypeInitialized, action: "Initialize",
		note: fmt.Sprintf("node %s is initialized", node)}
}

func registrationTimeout(ttl time.Duration) eventValue {
	return eventValue{
		eventType: corev1.EventTypeWarning, reason: v1.ReasonRegistrationTimeout, action: "Delete",
		note: fmt.Sprintf("deleting the nodeclaim: its instance did not register a node within %s", ttl),
	}
}

func (c *Controller) publish(claim *v1.NodeClaim, e eventValue) {
	if c.recorder != nil {
		c.recorder.Eventf(claim, nil, e.eventType, e.reason, e.action, "%s", e.note)
	}
}
