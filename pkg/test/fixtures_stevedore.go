package test

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// EC2NodeClass returns a valid node class: subnets and security groups by cluster tag, AL2023 latest, a role.
func EC2NodeClass(opts ...Option) *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{
		ObjectMeta: meta("nodeclass", false),
		Spec: awsv1.EC2NodeClassSpec{
			SubnetSelectorTerms:        []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": "test"}}},
			SecurityGroupSelectorTerms: []awsv1.SecurityGroupSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": "test"}}},
			AMISelectorTerms:           []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}},
			Role:                       "StevedoreNodeRole-test",
		},
	}
	apply(nc, opts)
	return nc
}

// WithEC2NodeClassSpec edits an EC2NodeClass's spec in place.
func WithEC2NodeClassSpec(edit func(*awsv1.EC2NodeClassSpec)) Option {
	return func(o client.Object) { edit(&o.(*awsv1.EC2NodeClass).Spec) }
}

// NodePool returns a valid pool referencing the EC2NodeClass named nodeClass, with no requirements.
func NodePool(nodeClass string, opts ...Option) *v1.NodePool {
	np := &v1.NodePool{
		ObjectMeta: meta("nodepool", false),
		Spec: v1.NodePoolSpec{
			Template: v1.NodeClaimTemplate{Spec: v1.NodeClaimTemplateSpec{NodeClassRef: nodeClassRef(nodeClass)}},
			Disruption: v1.Disruption{
				ConsolidateAfter: v1.MustParseNillableDuration("0s"),
			},
		},
	}
	apply(np, opts)
	return np
}

// WithNodePoolSpec edits a NodePool's spec in place.
func WithNodePoolSpec(edit func(*v1.NodePoolSpec)) Option {
	return func(o client.Object) { edit(&o.(*v1.NodePool).Spec) }
}

// WithRequirements adds requirements to a NodePool's template or a NodeClaim.
func WithRequirements(reqs ...v1.NodeSelectorRequirementWithMinValues) Option {
	return func(o client.Object) {
		switch x := o.(type) {
		case *v1.NodePool:
			x.Spec.Template.Spec.Requirements = append(x.Spec.Template.Spec.Requirements, reqs...)
		case *v1.NodeClaim:
			x.Spec.Requirements = append(x.Spec.Requirements, reqs...)
		default:
			panic("test: WithRequirements applies to NodePools and NodeClaims")
		}
	}
}

// Requirement builds a requirement.
func Requirement(key string, op corev1.NodeSelectorOperator, values ...string) v1.NodeSelectorRequirementWithMinValues {
	return v1.NodeSelectorRequirementWithMinValues{Key: key, Operator: op, Values: values}
}

// NodeClaim returns a claim for the given pool and node class requiring on-demand m5.large.
func NodeClaim(nodePool, nodeClass string, opts ...Option) *v1.NodeClaim {
	nc := &v1.NodeClaim{
		ObjectMeta: meta("nodeclaim", false),
		Spec: v1.NodeClaimSpec{
			NodeClassRef: nodeClassRef(nodeClass),
			Requirements: []v1.NodeSelectorRequirementWithMinValues{
				Requirement(v1.NodePoolLabelKey, corev1.NodeSelectorOpIn, nodePool),
				Requirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, "m5.large"),
				Requirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand),
			},
		},
	}
	nc.Labels = map[string]string{v1.NodePoolLabelKey: nodePool}
	apply(nc, opts)
	return nc
}

func nodeClassRef(name string) *v1.NodeClassReference {
	return &v1.NodeClassReference{Group: awsv1.Group, Kind: "EC2NodeClass", Name: name}
}
