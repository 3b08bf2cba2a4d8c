// Package ami resolves an EC2NodeClass's amiSelectorTerms into the images instances may boot, each with the
// requirements (architecture, GPU) an instance type must meet to boot it. Aliases (al2023@latest,
// bottlerocket@v1.52.0) are looked up in the public EKS and Bottlerocket SSM parameters for the cluster's
// Kubernetes version; id, name, tags and ssmParameter terms through DescribeImages and GetParameter. Answers
// are cached for a minute per set of selector terms and Kubernetes version.
//
// It talks to AWS through the narrow EC2API and SSMAPI interfaces only; it must not import the Kubernetes
// client, controller-runtime or the cloudprovider package (callers above it decide what an empty answer means).
package ami
