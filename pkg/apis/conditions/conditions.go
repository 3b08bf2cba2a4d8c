package conditions

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Ready is the condition every Stevedore object rolls its other conditions up into.
const Ready = "Ready"

// Reasons used when a condition is first seen or rolled up.
const (
	ReasonAwaitingReconciliation = "AwaitingReconciliation"
	ReasonReady                  = "Ready"
)

// Object is an API object whose status holds conditions.
type Object interface {
	metav1.Object
	StatusConditions() *[]metav1.Condition
}

// Set manages an object's conditions: the dependents whose truth makes the object Ready, and Ready itself.
// Conditions not listed as dependents (Drifted, Consolidatable, say) are informational and never affect Ready.
type Set struct {
	object     Object
	dependents []string
}

// For returns the Set of obj with the given dependent condition types.
func For(obj Object, dependents ...string) Set {
	return Set{object: obj, dependents: dependents}
}

// Get returns the condition of type t, or nil.
func (s Set) Get(t string) *metav1.Condition {
	return meta.FindStatusCondition(*s.object.StatusConditions(), t)
}

// IsTrue reports whether condition t is present and True.
func (s Set) IsTrue(t string) bool {
	return meta.IsStatusConditionTrue(*s.object.StatusConditions(), t)
}

// Root returns the Ready condition.
func (s Set) Root() *metav1.Condition { return s.Get(Ready) }

// Initialize marks every dependent that has not been reported yet as Unknown, and rolls up Ready.
func (s Set) Initialize() {
	for _, t := range s.dependents {
		if s.Get(t) == nil {
			s.set(t, metav1.ConditionUnknown, ReasonAwaitingReconciliation, "")
		}
	}
	s.rollUp()
}

// SetTrue marks t True with reason t and rolls up Ready. It reports whether anything changed.
func (s Set) SetTrue(t string) bool {
	return s.Set(t, metav1.ConditionTrue, t, "")
}

// SetFalse marks t False and rolls up Ready. It reports whether anything changed.
func (s Set) SetFalse(t, reason, message string) bool {
	return s.Set(t, metav1.ConditionFalse, reason, message)
}

// SetUnknown marks t Unknown and rolls up Ready. It reports whether anything changed.
func (s Set) SetUnknown(t, reason, message string) bool {
	return s.Set(t, metav1.ConditionUnknown, reason, message)
}

// Set records condition t and rolls up Ready. It reports whether anything changed.
func (s Set) Set(t string, status metav1.ConditionStatus, reason, message string) bool {
	changed := s.set(t, status, reason, message)
	return s.rollUp() || changed
}

// Clear removes condition t (an informational one, such as Drifted) and rolls up Ready.
func (s Set) Clear(t string) bool {
	changed := meta.RemoveStatusCondition(s.object.StatusConditions(), t)
	return s.rollUp() || changed
}

func (s Set) set(t string, status metav1.ConditionStatus, reason, message string) bool {
	return meta.SetStatusCondition(s.object.StatusConditions(), metav1.Condition{
		Type:               t,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: s.object.GetGeneration(),
	})
}

// rollUp sets Ready from the dependents: True when all are True; otherwise False if any is False, else Unknown,
// carrying the first offending dependent's reason and message so `kubectl get` explains itself.
func (s Set) rollUp() bool {
	status, reason, message := metav1.ConditionTrue, ReasonReady, ""
	for _, t := range s.dependents {
		c := s.Get(t)
		switch {
		case c == nil:
			if status == metav1.ConditionTrue {
				status, reason, message = metav1.ConditionUnknown, ReasonAwaitingReconciliation, t+" has not been reported"
			}
		case c.Status == metav1.ConditionFalse:
			if status != metav1.ConditionFalse {
				status, reason, message = metav1.ConditionFalse, c.Reason, prefix(t, c.Message)
			}
		case c.Status == metav1.ConditionUnknown:
			if status == metav1.ConditionTrue {
				status, reason, message = metav1.ConditionUnknown, c.Reason, prefix(t, c.Message)
			}
		}
	}
	return s.set(Ready, status, reason, message)
}

func prefix(t, message string) string {
	if message == "" {
		return t + " is not True"
	}
	return t + ": " + message
}
