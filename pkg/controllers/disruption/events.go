package disruption

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/events"
)

// publishAll publishes e on each candidate's NodeClaim (its Node when it has none) and on each candidate's
// NodePool once.
func (c *Controller) publishAll(cmd *disruption.Command, e events.Event) {
	pools := map[string]bool{}
	for _, cand := range cmd.Candidates {
		node, claim := cand.Objects()
		switch {
		case claim != nil:
			c.events.Publish(claim, e)
		case node != nil:
			c.events.Publish(node, e)
		}
		if np := cand.NodePool; np != nil && !pools[np.Name] {
			pools[np.Name] = true
			c.events.Publish(np, e)
		}
	}
}

// starting says what a command is about to do, with the types and prices before and after.
func starting(cmd *disruption.Command) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: "Disrupting", Action: string(cmd.Method),
		Note: fmt.Sprintf("%s: %s ($%.4f/h now, $%.4f/h after)", cmd.Method, cmd, cmd.PricePerHour(), cmd.ReplacementPricePerHour())}
}

// aborted says why a command was dropped at validation.
func aborted(cmd *disruption.Command, err error) events.Event {
	return events.Event{Type: corev1.EventTypeNormal, Reason: "DisruptionAborted", Action: string(cmd.Method),
		Note: fmt.Sprintf("%s dropped after validation: %v", cmd.Method, err)}
}

// rolledBack says why a command failed and that its candidates stay.
func rolledBack(cmd *disruption.Command, err error) events.Event {
	return events.Event{Type: corev1.EventTypeWarning, Reason: "DisruptionFailed", Action: string(cmd.Method),
		Note: fmt.Sprintf("%s rolled back, the nodes stay: %v", cmd.Method, err)}
}
