package cloudprovider

import (
	"context"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// CloudProvider launches and removes the machines behind NodeClaims and describes what can be launched.
// Implementations must be safe for concurrent use.
type CloudProvider interface {
	// Create launches a machine for the NodeClaim and returns the claim as launched: status.providerID,
	// status.imageID, status.capacity and status.allocatable set, and labels for the chosen instance type,
	// zone and capacity type. It returns an InsufficientCapacityError when no offering the claim allows has
	// capacity, and a NodeClassNotReadyError when the claim's node class cannot be used yet.
	Create(ctx context.Context, nodeClaim *v1.NodeClaim) (*v1.NodeClaim, error)
	// Delete terminates the claim's machine. It returns a NodeClaimNotFoundError once the machine is gone, so
	// callers can tell "deleted" from "still terminating".
	Delete(ctx context.Context, nodeClaim *v1.NodeClaim) error
	// Get returns the machine with this provider ID as a NodeClaim, or a NodeClaimNotFoundError.
	Get(ctx context.Context, providerID string) (*v1.NodeClaim, error)
	// List returns every machine this provider launched for the cluster, including ones no NodeClaim
	// references any more, so garbage collection can find leaks.
	List(ctx context.Context) ([]*v1.NodeClaim, error)
	// InstanceTypes returns the instance types the NodePool may launch, with offerings, prices and overhead
	// (DaemonSet overhead included) already computed for the pool's node class.
	InstanceTypes(ctx context.Context, nodePool *v1.NodePool) ([]*InstanceType, error)
	// IsDrifted reports why the claim's machine no longer matches its NodePool and node class, or "" when it
	// still does.
	IsDrifted(ctx context.Context, nodeClaim *v1.NodeClaim) (DriftReason, error)
	// Name identifies the provider, such as "aws".
	Name() string
}

// DriftReason says why a machine has drifted from its specification, such as "AMIDrift"; "" means no drift.
type DriftReason string
