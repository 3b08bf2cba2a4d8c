package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
)

// NodeClaim condition types. Launched, Registered and Initialized roll up into Ready; the others are
// informational.
const (
	ConditionTypeLaunched       = "Launched"
	ConditionTypeRegistered     = "Registered"
	ConditionTypeInitialized    = "Initialized"
	ConditionTypeDrifted        = "Drifted"
	ConditionTypeConsolidatable = "Consolidatable"
	ConditionTypeDisrupting     = "Disrupting"
)

// NodePool condition types; both roll up into Ready.
const (
	ConditionTypeNodeClassReady      = "NodeClassReady"
	ConditionTypeValidationSucceeded = "ValidationSucceeded"
)

// StatusConditions returns the NodeClaim's conditions for the conditions package.
func (in *NodeClaim) StatusConditions() *[]metav1.Condition { return &in.Status.Conditions }

// Conditions returns the NodeClaim's condition set: Launched, Registered and Initialized make it Ready.
func (in *NodeClaim) Conditions() conditions.Set {
	return conditions.For(in, ConditionTypeLaunched, ConditionTypeRegistered, ConditionTypeInitialized)
}

// StatusConditions returns the NodePool's conditions for the conditions package.
func (in *NodePool) StatusConditions() *[]metav1.Condition { return &in.Status.Conditions }

// Conditions returns the NodePool's condition set: NodeClassReady and ValidationSucceeded make it Ready.
func (in *NodePool) Conditions() conditions.Set {
	return conditions.For(in, ConditionTypeNodeClassReady, ConditionTypeValidationSucceeded)
}
