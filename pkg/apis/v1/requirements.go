package v1

import (
	corev1 "k8s.io/api/core/v1"
)

// NodeSelectorRequirementWithMinValues is a Kubernetes node selector requirement with an optional floor on how
// many distinct values must stay available to the launcher, so that a NodePool keeps instance-type flexibility
// (for spot capacity, say) instead of collapsing onto the single cheapest type.
//
// +kubebuilder:validation:XValidation:rule="self.key.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$')",message="key must be a qualified label name: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",fieldPath=".key"
// +kubebuilder:validation:XValidation:rule="self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : true",message="operators In and NotIn need at least one value",fieldPath=".values"
// +kubebuilder:validation:XValidation:rule="self.operator in ['Exists', 'DoesNotExist'] ? !has(self.values) || size(self.values) == 0 : true",message="operators Exists and DoesNotExist take no values; remove values",fieldPath=".values"
// +kubebuilder:validation:XValidation:rule="self.operator in ['Gt', 'Lt'] ? has(self.values) && size(self.values) == 1 && self.values[0].matches('^[0-9]+$') : true",message="operators Gt and Lt take exactly one value, a non-negative integer such as '4'",fieldPath=".values"
// +kubebuilder:validation:XValidation:rule="has(self.minValues) && self.operator == 'In' ? has(self.values) && self.minValues <= size(self.values) : true",message="minValues must not exceed the number of values listed for operator In",fieldPath=".minValues"
type NodeSelectorRequirementWithMinValues struct {
	// Key is the label key the requirement applies to, e.g. node.kubernetes.io/instance-type.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=316
	// +required
	Key string `json:"key"`
	// Operator relates the key to the values: In, NotIn, Exists, DoesNotExist, Gt or Lt.
	// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist;Gt;Lt
	// +required
	Operator corev1.NodeSelectorOperator `json:"operator"`
	// Values are label values. In and NotIn need at least one; Exists and DoesNotExist none; Gt and Lt exactly
	// one integer.
	// +kubebuilder:validation:MaxItems=1500
	// +kubebuilder:validation:items:MaxLength=63
	// +listType=atomic
	// +optional
	Values []string `json:"values,omitempty"`
	// MinValues is the least number of distinct values of this key that must remain among the instance types
	// the launcher may choose from.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=50
	// +optional
	MinValues *int `json:"minValues,omitempty"`
}

// NodeSelectorRequirement returns the plain Kubernetes requirement, dropping MinValues.
func (r NodeSelectorRequirementWithMinValues) NodeSelectorRequirement() corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: r.Key, Operator: r.Operator, Values: r.Values}
}

// NodeClassReference points at the provider-specific class a node is launched from.
type NodeClassReference struct {
	// Group of the node class, aws.stevedore.dev.
	// +kubebuilder:validation:XValidation:rule="self == 'aws.stevedore.dev'",message="group must be aws.stevedore.dev"
	// +kubebuilder:validation:MaxLength=253
	// +required
	Group string `json:"group"`
	// Kind of the node class, EC2NodeClass.
	// +kubebuilder:validation:XValidation:rule="self == 'EC2NodeClass'",message="kind must be EC2NodeClass"
	// +kubebuilder:validation:MaxLength=63
	// +required
	Kind string `json:"kind"`
	// Name of the node class.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}
