// Package disruption marks NodeClaims that no longer match what their NodePool and node class would launch
// today with the condition Drifted=True, for the disruption controller to replace them.
//
// A launched claim that is not being deleted is checked in order, and the first reason found wins:
//
//   - NodePoolDrift: the claim's stevedore.dev/nodepool-hash annotation, stamped by the provisioner, differs
//     from the NodePool's current Hash (template labels, annotations, taints, startup taints, nodeClassRef).
//     A claim without the annotation, or stamped under another hash version, is stamped with the current hash
//     instead: an upgrade that changes the algorithm must not replace every node.
//   - RequirementsDrift: the claim's labels (instance type, zone, capacity type, ...) no longer satisfy the
//     NodePool's requirements. Requirements are compared by meaning, not hashed, so widening one replaces
//     nothing.
//   - the cloud provider's own reason (a new image, subnet or security groups, an edited node class).
//
// When none applies the condition is removed. A claim whose NodePool is gone is not drifted: deleting the
// pool removes its nodes. Cloud drift (a new AMI, say) arrives without an event, so every claim is checked
// again every few minutes; NodePool edits and node class changes wake the claims they concern at once.
//
// The package reaches the cloud only through the cloudprovider interface and reads node classes generically,
// so it must not import a cloud provider (pkg/aws), its API types or a cloud SDK.
package disruption
