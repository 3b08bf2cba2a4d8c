// Package disruption is the disruption controller: a singleton loop that, every few seconds on the leader,
// takes a snapshot of the cluster, asks pkg/disruption what to remove and why the rest stays, writes each
// NodeClaim's Consolidatable condition, and carries out one command at a time.
//
// A command is carried out in this order, so that no pod is ever left without capacity:
//  1. consolidation commands wait a validation period and are re-checked on a fresh snapshot (a pod arrived,
//     a PodDisruptionBudget tightened, a price moved: the command is dropped);
//  2. the candidates are tainted stevedore.dev/disrupted:NoSchedule and marked Disrupting;
//  3. replacements are created as NodeClaims and waited for until Initialized;
//  4. only then are the candidates' NodeClaims deleted, which drains them through the termination
//     controllers, evicting through the Eviction API so that PodDisruptionBudgets are never broken.
//
// If a replacement fails, the command rolls back: candidates are un-tainted and kept, replacements that never
// initialized are deleted. A controller that dies mid-command leaves tainted candidates; the next leader's first
// pass un-taints every candidate that is not being deleted.
//
// The package reads and writes the API through controller-runtime and decides nothing itself; it must not
// import a cloud SDK.
package disruption
