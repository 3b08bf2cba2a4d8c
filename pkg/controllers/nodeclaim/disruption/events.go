package disruption

import (
	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/events"
)

// driftedEvent tells the claim's readers that it turned drifted and why; it is published once per turn, when
// the condition becomes True.
func driftedEvent(d drift) events.Event {
	return events.Event{
		Type: corev1.EventTypeNormal, Reason: v1.ConditionTypeDrifted, Action: "Drift",
		Note: string(d.reason) + ": " + d.message,
	}
}
