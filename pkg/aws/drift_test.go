package aws_test

import (
	"slices"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// recommended is the SSM parameter al2023@latest resolves to for amd64 nodes of the test's Kubernetes version.
const recommended = "/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/x86_64/standard/recommended/image_id"

// recorded is the claim as the lifecycle controller stores it after the launch: its spec, with the launch's
// annotations and status.
func recorded(claim, launched *v1.NodeClaim) *v1.NodeClaim {
	out := claim.DeepCopy()
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	for k, v := range launched.Annotations {
		out.Annotations[k] = v
	}
	out.Status.ProviderID, out.Status.ImageID = launched.Status.ProviderID, launched.Status.ImageID
	return out
}

func (f *fixture) expectDrift(t *testing.T, claim *v1.NodeClaim, want cloudprovider.DriftReason) {
	t.Helper()
	got, err := f.cloud.IsDrifted(f.ctx, claim)
	if err != nil || got != want {
		t.Fatalf("IsDrifted = %q, %v; want %q", got, err, want)
	}
}

func TestChangedNodeClassSpecIsDrift(t *testing.T) {
	f := setup(t)
	claim := f.claim(t)
	launched := recorded(claim, f.create(t, claim))
	f.expectDrift(t, launched, "")

	stored := f.class.DeepCopy()
	patch := client.MergeFrom(stored.DeepCopy())
	stored.Spec.Tags = map[string]string{"team": "platform"}
	if err := env.Client.Patch(f.ctx, stored, patch); err != nil {
		t.Fatal(err)
	}
	f.reconcile(t, stored)
	f.expectDrift(t, launched, aws.DriftNodeClass)
}

func TestNewRecommendedImageIsAMIDrift(t *testing.T) {
	f := setup(t)
	claim := f.claim(t) // m5.large: amd64
	launched := recorded(claim, f.create(t, claim))
	f.expectDrift(t, launched, "")

	ssmClient := ssm.NewFromConfig(f.cfg)
	original, err := ssmClient.GetParameter(f.ctx, &ssm.GetParameterInput{Name: sdkaws.String(recommended)})
	if err != nil {
		t.Fatal(err)
	}
	if sdkaws.ToString(original.Parameter.Value) != launched.Status.ImageID {
		t.Fatalf("the instance booted %s, not the recommended %s", launched.Status.ImageID, sdkaws.ToString(original.Parameter.Value))
	}
	images, err := f.ec2.DescribeImages(f.ctx, &ec2.DescribeImagesInput{Filters: []ec2types.Filter{
		{Name: sdkaws.String("name"), Values: []string{"amazon-eks-node-al2023-x86_64-standard-1.36-*"}},
	}})
	if err != nil || len(images.Images) == 0 {
		t.Fatalf("finding another image: %+v, %v", images, err)
	}
	other := sdkaws.ToString(images.Images[0].ImageId)
	f.sim.SetParameter(recommended, other)
	t.Cleanup(func() {
		f.sim.SetParameter(recommended, sdkaws.ToString(original.Parameter.Value))
		env.Clock.Step(2 * time.Minute) // past the AMI cache, so later tests resolve the restored image
	})
	hash := nodeclass.Hash(f.class)

	f.reconcile(t, f.class)
	f.expectDrift(t, launched, "") // the resolved images are cached for a minute

	env.Clock.Step(2 * time.Minute)
	f.reconcile(t, f.class)
	if !slices.ContainsFunc(f.class.Status.AMIs, func(a awsv1.AMI) bool { return a.ID == other }) {
		t.Fatalf("the class resolved %+v, want %s among them", f.class.Status.AMIs, other)
	}
	if got := nodeclass.Hash(f.class); got != hash {
		t.Errorf("the class's hash changed from %s to %s, though its spec did not", hash, got)
	}
	f.expectDrift(t, launched, aws.DriftAMI)
}
