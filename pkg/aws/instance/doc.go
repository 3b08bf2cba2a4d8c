// Package instance launches, finds and terminates the EC2 instances behind NodeClaims: CreateFleet of type
// instant for one instance over a set of (instance type, subnet) overrides, DescribeInstances and
// TerminateInstances (concurrent calls batched), with provider IDs of the form aws:///<zone>/<instance-id>. Insufficient-capacity errors
// mark the offerings in the ICE cache and surface as cloudprovider.InsufficientCapacityError.
package instance
