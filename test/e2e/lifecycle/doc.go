// Package lifecycle proves, against one whole sandbox whose controller runs as a separate process built from
// ./cmd/controller, what happens to nodes after launch: `kubectl delete node` drains within the pods'
// PodDisruptionBudget before the instance is terminated; an instance that never registers is replaced after
// the registration TTL; instances tagged for the cluster that no NodeClaim owns are garbage collected while
// others are left alone; and a controller killed in the middle of a launch, then restarted, leaves neither a
// duplicate nor an orphaned instance.
//
// It holds tests only, runs the controller with short registration and garbage-collection timings, and drives
// the system only through the Kubernetes API, the AWS SDK and the simulator's fault switches; it must not
// import the controllers or the cloud provider.
package lifecycle
