// Package pricing prices EC2 offerings for the node model.
//
// In production Live combines OnDemand, which reads the Price List Query API (GetProducts for Linux, shared
// tenancy, in the nodes' region), and Spot, which reads the spot price history. Each is read into memory and
// refreshed by its Start loop (twelve hours and five minutes), keeps its last good answer when a call fails,
// and never makes a read wait for the network. The Price List API is served from us-east-1 whatever region is
// priced: build its client with that region. Until OnDemand's first success, and for types its answer leaves
// out, the embedded catalog's prices stand in (Static); until Spot's first success there are no spot prices
// unless a fallback is configured, so spot is never offered at a guess.
//
// Offline (tests, the simulated cloud, the CLI) Static prices on demand from the embedded catalog and spot from
// a pluggable source.
//
// This package must not import the Kubernetes client.
package pricing
