// Package conditions rolls an API object's status conditions up into its Ready condition.
//
// Each API type declares its own condition types beside itself and exposes them through a Set; this package
// holds only the mechanics, so that every type rolls up the same way. It must not import the Kubernetes
// client or the AWS SDK.
package conditions
