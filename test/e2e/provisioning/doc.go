// Package provisioning proves, against one whole sandbox with the controller in process, what a user of
// Stevedore sees when pods go pending: they get nodes, spread over zones as their constraints ask, of the
// instance types the solver prices cheapest; and when spot capacity runs out, nodes come up on other spot types
// and zones, then on-demand, with no pod left pending.
//
// It holds tests only. It drives the sandbox through the Kubernetes API and the AWS SDK, and uses the solver
// and the instance-type catalog only to compute what the cheapest choice is; it must not import the
// controllers or the cloud provider.
package provisioning
