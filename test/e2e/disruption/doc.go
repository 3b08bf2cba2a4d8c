// Package disruption proves, against one whole sandbox with the controller in process, what a user sees when
// load falls: after a scale-down the fleet's price comes within 10 % of a fresh packing of the pods that remain,
// without one eviction beyond what a PodDisruptionBudget allows; a do-not-disrupt pod keeps its node and its
// NodeClaim says why; a budget of 0 during a window (read in a time zone) stops consolidation and the NodeClaim
// says BudgetExhausted.
//
// It holds tests only. It drives the sandbox through the Kubernetes API and uses the solver only to price a
// fresh packing; it must not import the controllers or the cloud provider.
package disruption
