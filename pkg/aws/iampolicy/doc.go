// Package iampolicy renders the IAM policy the Stevedore controller needs, scoped to one cluster: launching and
// tagging only through resources tagged stevedore.dev/cluster=<cluster>, terminating only such instances, reading
// EC2, the public EKS image parameters and prices, and owning the instance profiles it creates. The policy is
// checked by this package's tests against every AWS operation the provider's SDK interfaces can call, so a new
// call cannot ship without its permission. It imports nothing of Stevedore's at run time.
package iampolicy
