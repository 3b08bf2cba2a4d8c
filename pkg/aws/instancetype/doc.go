// Package instancetype turns EC2 instance-type facts into the instance types the solver packs onto, for a
// given EC2NodeClass: capacity, overhead, max pods, labels and offerings.
//
// Facts are plain data with nothing AWS-SDK-specific in them: in production they come from EC2
// DescribeInstanceTypes, offline (tests, the simulated cloud, the CLI) from the embedded catalog in the catalog
// subpackage. This package must not import the Kubernetes client.
package instancetype
