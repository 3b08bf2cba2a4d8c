// Package state is Stevedore's in-memory model of the cluster: the Nodes and NodeClaims that informers have
// delivered, and what the API server cannot hold for us, the nominations (which pending pod the provisioner has
// placed on which in-flight NodeClaim or existing node, until the pod binds, the target goes away or the
// nomination expires). From the model, and lists read through the manager's cache, it builds the solver's
// immutable Snapshot: existing and in-flight capacity with the pods bound or nominated to it, NodePool usage,
// and each pool's instance types from the cloud provider.
//
// Decisions:
//   - A NodeClaim whose Node has registered is modelled once, as that Node. A NodeClaim without a Node is
//     in-flight: its labels are the claim's (and its requirements' single values), its taints are spec.taints
//     without the startup taints (they go away), and its allocatable is status.allocatable once launched. Before
//     launch it is the per-resource minimum of the allocatable of the pool's instance types the claim allows
//     (whichever the launcher picks holds at least that), and it counts the per-resource maximum of their
//     capacity against the pool's limits (whichever it picks counts at most that). Without the pool's types it
//     falls back to the claim's spec.resources.requests.
//   - The DaemonSet pods that would run on an in-flight claim are added to it, as they will be once it joins;
//     so are those not yet bound to a node its claim has not initialized.
//   - Nodes and claims being deleted offer no room but still count against their pool's limits until gone.
//   - Synced reports whether the model has seen every Node and NodeClaim the cache holds; callers must not
//     solve on an unsynced model, or they would launch again for pods already provided for.
//
// The package reads the cluster through controller-runtime and the cloud through the cloudprovider interface;
// it must not import a cloud provider, a cloud SDK or any controller.
package state
