// Package nodeclass is the EC2NodeClass controller. It resolves a class's selectors into the status the
// launcher reads (subnets, security groups, AMIs for the cluster's Kubernetes version, the instance profile),
// reports each part as a condition (SubnetsReady, SecurityGroupsReady, AMIsReady, InstanceProfileReady,
// ValidationSucceeded) rolling up into Ready, and re-resolves every five minutes (every thirty seconds while
// the class is not Ready), because subnets, images and roles change in AWS without any Kubernetes event. Ready
// turns a class's conditions into the error the launcher returns for a class it must not launch from.
//
// # Drift hash
//
// Hash digests the spec fields that decide how a new instance is built, and the controller writes it to the
// aws.stevedore.dev/ec2nodeclass-hash annotation (with aws.stevedore.dev/ec2nodeclass-hash-version). The
// launcher stamps the same annotations on each NodeClaim, so a claim whose hash differs from its class's was
// built from an older spec and has drifted. Every field of the spec is in the hash: subnet, security group
// and AMI selector terms (where instances run, what they may reach, what they boot), amiFamily and userData
// (how they bootstrap), role and instanceProfile (whom they run as), tags, block devices, metadata options,
// kubelet settings, public IP, detailed monitoring, CNI mode and reserved ENIs (what the node is and how many
// pods it holds), and the allocation strategy (which offering a launch chooses). Metadata and status are not:
// the resolved AMIs or subnets changing under an unchanged spec is a different kind of drift, judged against
// status. Maps are hashed with sorted keys, so the order tags were written in never matters. Changing what
// goes into the hash must bump EC2NodeClassHashVersion, so claims stamped under the old rule are not all
// reported as drifted at once.
//
// # Deletion
//
// The class keeps the aws.stevedore.dev/termination finalizer while any NodeClaim references it (the
// Terminating condition and an event name them); then its launch templates and the instance profile Stevedore
// created for spec.role (never a user-supplied spec.instanceProfile) are deleted and the finalizer removed.
//
// The package reaches AWS only through the small interfaces in controller.go; it must not import the AWS SDK.
package nodeclass
