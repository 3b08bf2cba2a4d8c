// Package aws is Stevedore's cloud provider for Amazon EC2. CloudProvider implements cloudprovider.CloudProvider
// by composing one package per AWS concept: instance (CreateFleet, DescribeInstances, TerminateInstances),
// instancetype and pricing (what can be launched, at what price), launchtemplate, network (subnets and
// security groups), ami, instanceprofile and nodeclass (the EC2NodeClass controller that resolves them). New
// wires them from an AWS SDK configuration (see Config) for the operator.
//
// The package must not import Stevedore's controllers other than nodeclass, or the solver: it answers the
// cloudprovider interface and nothing more.
package aws
