// Package instancetype turns EC2 instance-type facts into the instance types the solver packs onto, for a
// given EC2NodeClass: capacity, overhead, max pods, labels and offerings.
//
// Facts are plain data with nothing AWS-SDK-specific in them. In production they come from EC2
// DescribeInstanceTypes (EC2Source), and the zones each type is sold in from DescribeInstanceTypeOfferings
// (OfferingsSource); both are read into memory, refreshed every twelve hours by their Start loops, and keep
// their last good answer when a call fails. Before their first success they serve the embedded catalog (passed
// in as EC2Options.Fallback, since the catalog subpackage imports this one) and every zone. Offline (tests, the
// simulated cloud, the CLI) the catalog subpackage serves the facts directly.
//
// This package must not import the Kubernetes client; of the AWS SDK it uses only the EC2 client's types.
package instancetype
