package lifecycle

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/events"
)

// Events about a NodeClaim are published when the claim's state changes (a launch, a registration, a deletion,
// a condition turning False), never once per reconcile, so a claim that waits for an hour produces one event, not
// hundreds, and the publisher needs no window to drop repeats.
const dedupeWindow = 0

func launchedEvent(claim *v1.NodeClaim) events.Event {
	return events.Event{
		Type: corev1.EventTypeNormal, Reason: v1.ConditionTypeLaunched, Action: "Launch",
		Note: fmt.Sprintf("launched %s %s in %s as %s", claim.Labels[v1.CapacityTypeLabelKey],
			claim.Labels[corev1.LabelInstanceTypeStable], claim.Labels[corev1.LabelTopologyZone], claim.Status.ProviderID),
	}
}

func insufficientCapacity(err error) events.Event {
	return events.Event{
		Type: corev1.EventTypeWarning, Reason: v1.ReasonInsufficientCapacity, Action: "Delete",
		Note: fmt.Sprintf("deleting the nodeclaim so its pods are provisioned again: %v", err),
	}
}

func nodeClassNotReady(err error) events.Event {
	return events.Event{Type: corev1.EventTypeWarning, Reason: v1.ReasonNodeClassNotReady, Action: "Launch", Note: err.Error()}
}

func registered(node string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: v1.ConditionTypeRegistered, Action: "Register",
		Note: fmt.Sprintf("node %s registered", node)}
}

func initialized(node string) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: v1.ConditionTypeInitialized, Action: "Initialize",
		Note: fmt.Sprintf("node %s is initialized", node)}
}

func registrationTimeout(ttl time.Duration) events.Event {
	return events.Event{
		Type: corev1.EventTypeWarning, Reason: v1.ReasonRegistrationTimeout, Action: "Delete",
		Note: fmt.Sprintf("deleting the nodeclaim: its instance did not register a node within %s", ttl),
	}
}

func launchTimeout(ttl time.Duration, lastError string) events.Event {
	return events.Event{
		Type: corev1.EventTypeWarning, Reason: v1.ReasonRegistrationTimeout, Action: "Delete",
		Note: fmt.Sprintf("deleting the nodeclaim: it could not be launched within %s; last error: %s", ttl, lastError),
	}
}

func (c *Controller) publish(claim *v1.NodeClaim, e events.Event) { c.events.Publish(claim, e) }
