// Package solver decides where pending pods go: onto existing nodes, onto NodeClaims already in flight, or
// onto new NodeClaims of the cheapest instance types that satisfy every scheduling constraint the
// kube-scheduler enforces. Solve is a pure function from an immutable Snapshot to a Plan: no clients, no
// clock, no cloud SDK, and the same Plan for the same Snapshot.
//
// designs/0004-solver.md explains the approach: pods are grouped into classes of identical pods and placed as
// counts, first onto free capacity and then onto new nodes chosen by price per packed pod; topology counts are
// kept incrementally; the price of the new capacity is reported next to a linear-programming lower bound.
package solver
