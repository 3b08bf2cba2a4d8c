// Package v1 contains the aws.stevedore.dev/v1 API: EC2NodeClass, the AWS-specific half of a node's
// description (network, image, IAM, storage, kubelet).
//
// Validation lives in kubebuilder and CEL (XValidation) markers on these types. This package must not import
// the Kubernetes client or the AWS SDK.
//
// +kubebuilder:object:generate=true
// +groupName=aws.stevedore.dev
package v1
