// Package lifecycle is the NodeClaim lifecycle controller: it turns each NodeClaim the provisioner writes into
// a running, registered, initialized node.
//
// One reconcile runs four sub-reconcilers in order over an in-memory copy of the claim, then writes the
// claim's metadata and status at most once each, and only when they changed:
//
//   - launch is the only caller of CloudProvider.Create. A claim with a provider ID is never launched again;
//     a claim without one may be, after a crash between the launch and recording it, and the cloud provider
//     returns the instance it already launched for the claim. (Within one process the controller remembers
//     recent launches, so a stale cache or a failed status write does not cost a second Create.) Insufficient
//     capacity deletes the claim (its pods go back to the provisioner); a node class that is not ready yet
//     holds the claim at Launched=False and is retried.
//   - registration finds the Node whose spec.providerID is the claim's, adopts it (owner reference, the
//     termination finalizer, the claim's labels and taints) and removes the unregistered taint that kept
//     pods off it until then.
//   - initialization waits for the Node to be Ready, lose its startup taints and report every extended
//     resource the claim's instance type has, then labels it initialized.
//   - liveness deletes a claim whose instance has not registered a Node within the registration TTL.
//
// Deleting a claim only starts its termination, which another controller owns; this one skips claims that are
// being deleted. The package reaches the cloud only through the cloudprovider interface, so it must not import
// a cloud provider or a cloud SDK.
package lifecycle
