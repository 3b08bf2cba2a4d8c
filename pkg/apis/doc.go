// Package apis holds Stevedore's Kubernetes APIs and their generated CustomResourceDefinitions.
//
// The API packages (v1 for stevedore.dev, aws/v1 for aws.stevedore.dev) are plain types with kubebuilder
// markers. They must not import the Kubernetes client, controller-runtime's client, or the AWS SDK: every rule
// a user can break is written as CEL on the types, so the API server rejects bad objects before any
// controller sees them.
package apis
