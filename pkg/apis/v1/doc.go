// Package v1 contains the stevedore.dev/v1 API: NodePool, the policy users write, and NodeClaim, the
// controller's record of one node it intends to launch or has launched.
//
// Validation lives in kubebuilder and CEL (XValidation) markers on these types; never patch the generated
// CRDs. This package must not import the Kubernetes client or the AWS SDK.
//
// +kubebuilder:object:generate=true
// +groupName=stevedore.dev
package v1
