// Package network resolves an EC2NodeClass's subnet and security group selector terms into the subnets
// instances launch into (with their zones and free addresses) and the security groups they carry. Answers are
// cached for a minute per set of selector terms, so that node class reconciles and launches share one
// DescribeSubnets/DescribeSecurityGroups round trip.
//
// It talks to EC2 through the narrow EC2API interface only; it must not import the Kubernetes client,
// controller-runtime or the cloudprovider package (callers above it decide what an empty answer means).
package network
