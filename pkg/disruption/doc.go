// Package disruption decides which nodes Stevedore takes away, and says why it leaves the others alone.
//
// Evaluate is a pure function of an Input: the solver's view of every node and its pods, the NodeClaims and
// Nodes behind them, PodDisruptionBudgets and the time. It runs the disruption methods in order — expiration,
// drift, emptiness, multi-node consolidation, single-node consolidation — and returns the commands they chose
// (candidates to remove and replacements to launch) and, for every candidate it looked at, a Verdict: whether
// consolidation would act on it, and if not, which rule stops it, in words a person can act on.
//
// Every method asks the provisioner's solver (pkg/solver) where the candidates' pods would go: a node is
// removed only when its pods fit on the nodes that remain plus at most one (single-node) or two (multi-node)
// cheaper replacements. How the search stays fast on thousands of nodes is in designs/0007-disruption.md.
//
// The package reads no API and changes nothing; the disruption controller (pkg/controllers/disruption) builds
// the Input, validates and executes the commands, and the `stevedore plan --consolidate` command prints them.
// It must not import controller-runtime or any cloud SDK.
package disruption
