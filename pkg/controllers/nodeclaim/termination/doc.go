// Package termination is the NodeClaim termination controller: it finishes deleting a NodeClaim that carries
// stevedore.dev/termination. It deletes the claim's Node, if it has one, and waits for it to be gone (the Node's
// own finalizer drains it through pkg/controllers/node/termination, so pods leave under their PDBs before the
// instance does); then it asks the CloudProvider to terminate the instance until the provider reports it gone
// (NodeClaimNotFoundError), and only then removes the finalizer, so a claim never disappears while its instance
// still runs and costs money.
//
// A claim that never recorded a launch (no status.providerID) just loses its finalizer, even though a launch may
// be in flight: the instance such a launch starts carries the claim's name, and once the claim is gone no claim
// owns it, so the garbage collector (pkg/controllers/nodeclaim/garbagecollection) terminates it after its grace
// period. Asking the cloud here instead would cost a full instance listing per deleted unlaunched claim, and
// still race with a launch that has not returned yet.
//
// The package works only through the Kubernetes API and the cloudprovider interface; it must not import a cloud
// provider (pkg/aws) or the AWS SDK.
package termination
