// Package provisioning is the provisioner: it gathers the pods the kube-scheduler could not place into
// batches, solves for them over a snapshot of the cluster, and records each new node the plan asks for as a
// NodeClaim, which the NodeClaim lifecycle controller then launches. It decides and records intent; it never
// calls the cloud provider's Create.
//
// A pod is provisionable when its PodScheduled condition is False with reason Unschedulable, it is not bound,
// finished, being deleted, a DaemonSet's or a static pod, nor preempting (status.nominatedNodeName set), and it
// has no live nomination. A batch opens with the first such
// pod and closes after BatchIdleDuration without another, or BatchMaxDuration after it opened (Batcher). Then,
// once the state model has caught up with the cache, the provisioner solves over the NodePools that are not
// being deleted and whose node class and validation have not failed, creates the plan's NodeClaims (named
// <nodepool>-<random>, owned by their pool, with the termination finalizer), nominates every placed pod to its
// node or claim, and publishes events: Nominated or FailedProvisioning on pods, LimitReached and
// NodePoolSkipped on pools, each at most once per object and message within EventTTL.
//
// It reaches the cloud only through the cloudprovider interface (via pkg/state), so it must not import a cloud
// provider or a cloud SDK.
package provisioning
