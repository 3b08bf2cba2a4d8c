// Package instanceprofile provides the IAM instance profile an EC2NodeClass's instances launch with.
//
// A class that names spec.instanceProfile uses it as is: the package only checks that it exists. A class that
// names spec.role gets an instance profile Stevedore owns, named stevedore_<cluster>_<hash> where the hash is
// of the region and the class's name, so every controller replica (and every restart) finds the same one and
// creation is idempotent. It is tagged with the cluster and the class, holds exactly the class's role (a
// different role is swapped out, since a profile holds at most one) and is deleted with the class.
//
// Profiles known to be in the desired state are remembered for a while, so periodic reconciles do not call
// IAM every time.
//
// It talks to IAM through the narrow IAMAPI interface only; it must not import the Kubernetes client,
// controller-runtime or the cloudprovider package.
package instanceprofile
