// Package termination is the Node termination controller: it finishes deleting a Node that carries
// stevedore.dev/termination, whoever deleted it (the NodeClaim termination controller, `kubectl delete node`, or
// the cloud's node lifecycle), without ever breaking a PodDisruptionBudget.
//
// Each reconcile does what it can and returns RequeueAfter; nothing sleeps. In order:
//
//  1. Taint the node stevedore.dev/disrupted:NoSchedule so nothing new lands on it.
//  2. Drain it through the Eviction API, so the API server enforces PDBs: ordinary pods first, and system-critical
//     pods (system-cluster-critical, system-node-critical, or priority of at least 2e9) only once the ordinary
//     ones are gone, because the ordinary ones may need them (DNS, CNI) while they shut down. DaemonSet pods,
//     mirror (static) pods and pods that have finished are left alone; pods already terminating are waited for.
//     A refused eviction (429, a PDB allows no disruption) is retried with per-pod exponential backoff and never
//     bypassed by deleting. Pods annotated stevedore.dev/do-not-disrupt: "true" are not evicted and hold the
//     node.
//  3. When the NodeClaim sets spec.terminationGracePeriod, the node must be gone that long after its
//     deletionTimestamp: every pod whose own grace period would carry it past that deadline is deleted (not
//     evicted) with its grace period shortened to the time left, at least zero, PDB or do-not-disrupt
//     notwithstanding.
//  4. Wait for the node's VolumeAttachments to go, so volumes are detached cleanly before the instance
//     disappears: until the deadline, or for DefaultVolumeWait after the drain when there is none.
//  5. Delete the NodeClaim (found by owner reference, else by provider ID) and terminate the instance through
//     the CloudProvider until it reports the instance gone, so a still-running kubelet cannot re-register.
//  6. Remove the finalizer.
//
// Backoff and the time a drain finished are kept in memory: a restart only restarts a backoff or a volume wait,
// both bounded.
//
// The package works only through the Kubernetes API and the cloudprovider interface; it must not import a cloud
// provider (pkg/aws) or the AWS SDK.
package termination
