package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
)

// EC2NodeClass condition types; all roll up into Ready.
const (
	ConditionTypeSubnetsReady         = "SubnetsReady"
	ConditionTypeSecurityGroupsReady  = "SecurityGroupsReady"
	ConditionTypeAMIsReady            = "AMIsReady"
	ConditionTypeInstanceProfileReady = "InstanceProfileReady"
	ConditionTypeValidationSucceeded  = "ValidationSucceeded"
)

// StatusConditions returns the EC2NodeClass's conditions for the conditions package.
func (in *EC2NodeClass) StatusConditions() *[]metav1.Condition { return &in.Status.Conditions }

// Conditions returns the EC2NodeClass's condition set.
func (in *EC2NodeClass) Conditions() conditions.Set {
	return conditions.For(in,
		ConditionTypeSubnetsReady,
		ConditionTypeSecurityGroupsReady,
		ConditionTypeAMIsReady,
		ConditionTypeInstanceProfileReady,
		ConditionTypeValidationSucceeded,
	)
}
