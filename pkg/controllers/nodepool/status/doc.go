// Package status keeps each NodePool's status true: status.resources is the capacity of the pool's NodeClaims
// (launched or in flight) plus "nodes", their count, which the provisioner checks spec.limits against; the
// NodeClassReady condition mirrors the Ready condition of the node class the pool references, read generically
// so the package knows no cloud provider's types; ValidationSucceeded is true (the API server's CEL rules
// already reject invalid pools). It must not import a cloud provider.
package status
