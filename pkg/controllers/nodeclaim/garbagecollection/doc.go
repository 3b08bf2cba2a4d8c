// Package garbagecollection reconciles the cloud with the NodeClaims: it terminates instances the cloud
// provider launched for the cluster that no NodeClaim owns (a controller that crashed between launching an
// instance and recording it, or a NodeClaim deleted by hand with its finalizer stripped), and deletes NodeClaims
// whose instance is gone (terminated outside Stevedore, or a spot interruption no one reported). It works only
// through the cloudprovider interface and the Kubernetes API, so it must not import a cloud provider.
package garbagecollection
