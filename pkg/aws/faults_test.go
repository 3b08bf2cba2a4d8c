package aws_test

import (
	"errors"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// zones are the simulator's availability zones.
var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

func TestSpotCapacityRunningOut(t *testing.T) {
	f := setup(t)
	// No other test launches this type, so the offerings marked unavailable here mislead no other test.
	const itype = "m5a.large"
	t.Cleanup(func() {
		for _, z := range zones {
			f.sim.SetCapacity(itype, z, v1.CapacityTypeSpot, -1)
		}
	})
	spotOnly := func() *v1.NodeClaim {
		return f.claim(t, onlyRequirements(f.pool.Name,
			test.Requirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, itype),
			test.Requirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeSpot)))
	}

	// The cheapest zone has no spot capacity left: the launch lands in another.
	first := spotOnly()
	types, err := f.cloud.InstanceTypes(f.ctx, f.pool)
	if err != nil {
		t.Fatal(err)
	}
	choice, err := fleet.Choose(first, types)
	if err != nil || choice.CapacityType != v1.CapacityTypeSpot || len(choice.Candidates) < 2 {
		t.Fatalf("Choose = %+v, %v; want spot in several zones", choice, err)
	}
	exhausted := choice.Candidates[0].Zone
	f.sim.SetCapacity(itype, exhausted, v1.CapacityTypeSpot, 0)
	launched := f.create(t, first)
	if zone := launched.Labels[corev1.LabelTopologyZone]; zone == exhausted || launched.Labels[v1.CapacityTypeLabelKey] != v1.CapacityTypeSpot {
		t.Errorf("launched %s in %s, want spot outside the exhausted %s", launched.Labels[v1.CapacityTypeLabelKey], zone, exhausted)
	}
	if !f.provider.Unavailable.IsUnavailable(v1.CapacityTypeSpot, itype, exhausted) {
		t.Errorf("spot %s in %s is not marked unavailable after EC2 had no capacity", itype, exhausted)
	}

	// No zone has spot capacity: the claim fails with an insufficient-capacity error and launches nothing.
	for _, z := range zones {
		f.sim.SetCapacity(itype, z, v1.CapacityTypeSpot, 0)
	}
	second := spotOnly()
	if _, err := f.cloud.Create(f.ctx, second); !cloudprovider.IsInsufficientCapacityError(err) {
		t.Fatalf("Create with no spot capacity anywhere = %v, want an InsufficientCapacityError", err)
	}
	types, err = f.cloud.InstanceTypes(f.ctx, f.pool)
	if err != nil {
		t.Fatal(err)
	}
	offerings := 0
	for _, it := range types {
		if it.Name != itype {
			continue
		}
		for _, o := range it.Offerings {
			offerings++
			if want := o.CapacityType != v1.CapacityTypeSpot; o.Available != want {
				t.Errorf("offering %s %s in %s: available %t, want %t", itype, o.CapacityType, o.Zone, o.Available, want)
			}
		}
	}
	if offerings == 0 {
		t.Fatalf("InstanceTypes has no offerings of %s", itype)
	}

	// A claim that also allows on-demand gets on-demand while spot is marked out.
	third := f.claim(t, onlyRequirements(f.pool.Name,
		test.Requirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, itype),
		test.Requirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeSpot, v1.CapacityTypeOnDemand)))
	onDemand := f.create(t, third)
	if ct := onDemand.Labels[v1.CapacityTypeLabelKey]; ct != v1.CapacityTypeOnDemand {
		t.Errorf("launched %s, want on-demand while spot is unavailable", ct)
	}

	if live := f.live(t, awsv1.TagNodeClaim, second.Name); len(live) != 0 {
		t.Errorf("the failed launch left %d instances: %+v", len(live), live)
	}
	list := f.listed(t)
	if !list[launched.Status.ProviderID] || !list[onDemand.Status.ProviderID] {
		t.Errorf("List = %v, want %s and %s", list, launched.Status.ProviderID, onDemand.Status.ProviderID)
	}
	for _, c := range []*v1.NodeClaim{first, third} {
		if live := f.live(t, awsv1.TagNodeClaim, c.Name); len(live) != 1 {
			t.Errorf("claim %s has %d instances, want 1", c.Name, len(live))
		}
	}
}

func TestExhaustedTypeFallsBackToATypeWithAnotherImage(t *testing.T) {
	f := setup(t)
	// m6g.large (arm64) is cheaper than m5.large (amd64); each needs its own image, so its own launch template.
	// No other test launches m6g.large.
	const cheaper, dearer = "m6g.large", "m5.large"
	claim := f.claim(t, onlyRequirements(f.pool.Name,
		test.Requirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, cheaper, dearer),
		test.Requirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand)))
	types, err := f.cloud.InstanceTypes(f.ctx, f.pool)
	if err != nil {
		t.Fatal(err)
	}
	if choice, err := fleet.Choose(claim, types); err != nil || choice.Candidates[0].InstanceType != cheaper {
		t.Fatalf("Choose = %+v, %v; want %s first", choice, err, cheaper)
	}
	for _, z := range zones {
		f.sim.SetCapacity(cheaper, z, v1.CapacityTypeOnDemand, 0)
	}
	t.Cleanup(func() {
		for _, z := range zones {
			f.sim.SetCapacity(cheaper, z, v1.CapacityTypeOnDemand, -1)
		}
	})

	launched := f.create(t, claim)
	if it, arch := launched.Labels[corev1.LabelInstanceTypeStable], launched.Labels[corev1.LabelArchStable]; it != dearer || arch != "amd64" {
		t.Fatalf("launched %s (%s), want %s (amd64)", it, arch, dearer)
	}
	inst := f.describe(t, launched.Status.ProviderID)
	if got := sdkaws.ToString(inst.ImageId); got != launched.Status.ImageID || inst.Architecture != ec2types.ArchitectureValuesX8664 {
		t.Errorf("the %s instance booted %s, the claim says %s", inst.Architecture, got, launched.Status.ImageID)
	}
	for _, z := range zones {
		if !f.provider.Unavailable.IsUnavailable(v1.CapacityTypeOnDemand, cheaper, z) {
			t.Errorf("on-demand %s in %s is not marked unavailable", cheaper, z)
		}
	}
}

func TestThrottledCallsSucceed(t *testing.T) {
	f := setup(t)
	claim := f.claim(t)
	f.sim.SetThrottle(2) // every other EC2 call is refused with RequestLimitExceeded
	t.Cleanup(func() { f.sim.SetThrottle(0) })
	f.expectThrottling(t)

	launched := f.create(t, claim)
	got, err := f.cloud.Get(f.ctx, launched.Status.ProviderID)
	if err != nil || got.Status.ProviderID != launched.Status.ProviderID {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := f.cloud.Delete(f.ctx, launched); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	f.sim.SetThrottle(0)
	if live := f.live(t, awsv1.TagNodeClaim, claim.Name); len(live) != 0 {
		t.Errorf("the deleted claim still has %d live instances", len(live))
	}
	for _, i := range f.state(t).Instances {
		if i.Tags[awsv1.TagNodeClaim] == claim.Name && "aws:///"+i.Zone+"/"+i.ID != launched.Status.ProviderID {
			t.Errorf("a throttled retry launched a second instance %s", i.ID)
		}
	}
}

// expectThrottling fails unless a client that does not retry sees EC2 refuse a call as throttled.
func (f *fixture) expectThrottling(t *testing.T) {
	t.Helper()
	cfg, err := awssim.ClientConfig(f.ctx, f.url, "us-east-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(cfg)
	for range 2 {
		_, err := client.DescribeAvailabilityZones(f.ctx, &ec2.DescribeAvailabilityZonesInput{})
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "RequestLimitExceeded" {
			return
		}
	}
	t.Fatal("no call was throttled")
}
