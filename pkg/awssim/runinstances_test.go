package awssim_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// runInstances calls RunInstances and returns the IDs of the instances it launched.
func runInstances(t *testing.T, e env, in *ec2.RunInstancesInput) []string {
	t.Helper()
	out, err := e.client.RunInstances(t.Context(), in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return ids
}

func instanceTags(name string) []types.TagSpecification {
	return []types.TagSpecification{{
		ResourceType: types.ResourceTypeInstance,
		Tags:         []types.Tag{{Key: aws.String("stevedore.dev/nodeclaim"), Value: aws.String(name)}},
	}}
}

func TestRunInstances(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{BootDelay: time.Minute}, 1)
	subnet := subnets(t, e)["us-east-1c"]
	out, err := e.client.RunInstances(t.Context(), &ec2.RunInstancesInput{
		ImageId: aws.String("ami-0123456789abcdef0"), InstanceType: types.InstanceTypeC5Xlarge, SubnetId: subnet.SubnetId,
		MinCount: aws.Int32(2), MaxCount: aws.Int32(3), TagSpecifications: instanceTags("run"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ReservationId) == "" || aws.ToString(out.OwnerId) != "123456789012" || len(out.Instances) != 3 {
		t.Fatalf("reservation %q owned by %q with %d instances; want 3 instances in a reservation", aws.ToString(out.ReservationId),
			aws.ToString(out.OwnerId), len(out.Instances))
	}
	for i, in := range out.Instances {
		if in.InstanceType != types.InstanceTypeC5Xlarge || aws.ToString(in.ImageId) != "ami-0123456789abcdef0" ||
			aws.ToString(in.SubnetId) != aws.ToString(subnet.SubnetId) || aws.ToString(in.Placement.AvailabilityZone) != "us-east-1c" ||
			in.State.Name != types.InstanceStateNamePending || tagValue(in.Tags, "stevedore.dev/nodeclaim") != "run" ||
			aws.ToInt32(in.AmiLaunchIndex) != int32(i) || aws.ToString(in.PrivateIpAddress) == "" {
			t.Errorf("instance %d = %s %s in %s, state %s, tags %v, launch index %d", i, in.InstanceType, aws.ToString(in.ImageId),
				aws.ToString(in.SubnetId), in.State.Name, in.Tags, aws.ToInt32(in.AmiLaunchIndex))
		}
	}
	described, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{})
	if err != nil || len(described.Reservations) != 1 || aws.ToString(described.Reservations[0].ReservationId) != aws.ToString(out.ReservationId) ||
		len(described.Reservations[0].Instances) != 3 {
		t.Errorf("DescribeInstances = %+v, %v; want the one reservation of three instances", described, err)
	}
}

func TestRunInstancesFromLaunchTemplate(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	id := defaultTemplate(t, e)
	for _, tc := range []struct {
		name string
		spec types.LaunchTemplateSpecification
	}{
		{"by name", types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("stevedore-default"), Version: aws.String("$Latest")}},
		{"by ID", types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(id), Version: aws.String("1")}},
	} {
		out, err := e.client.RunInstances(t.Context(), &ec2.RunInstancesInput{
			LaunchTemplate: &tc.spec, InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1b")},
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		in := out.Instances[0]
		// Without an image of its own or in the template, an instance runs the default image of its architecture.
		if aws.ToString(in.Placement.AvailabilityZone) != "us-east-1b" || aws.ToString(in.ImageId) == "" || in.State.Name != types.InstanceStateNameRunning {
			t.Errorf("%s: instance in %s running %q, %s; want a running instance in us-east-1b with an image", tc.name,
				aws.ToString(in.Placement.AvailabilityZone), aws.ToString(in.ImageId), in.State.Name)
		}
	}
	_, err := e.client.RunInstances(t.Context(), &ec2.RunInstancesInput{
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(id), Version: aws.String("7")},
		InstanceType:   types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
	})
	if got, want := errorCode(err), "InvalidLaunchTemplateId.VersionNotFound"; got != want {
		t.Errorf("unknown template version: error code %q, want %q", got, want)
	}
}

func TestRunInstancesClientToken(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	in := &ec2.RunInstancesInput{
		InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		ClientToken: aws.String("launch-1"), TagSpecifications: instanceTags("once"),
	}
	first := runInstances(t, e, in)
	again := runInstances(t, e, in)
	if !equal(first, again) || len(states(t, e)) != 2 {
		t.Errorf("retry launched %v after %v, %d instances in all; want the same two instances", again, first, len(states(t, e)))
	}
	in.MaxCount = aws.Int32(3)
	_, err := e.client.RunInstances(t.Context(), in)
	if got, want := errorCode(err), "IdempotentParameterMismatch"; got != want {
		t.Errorf("reusing the token for another request: error code %q, want %q", got, want)
	}
}

func TestRunInstancesCapacity(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	e.sim.SetCapacity("m5.large", "us-east-1a", "on-demand", 2)
	in := &ec2.RunInstancesInput{InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(3), MaxCount: aws.Int32(5)}
	_, err := e.client.RunInstances(t.Context(), in)
	if got, want := errorCode(err), "InsufficientInstanceCapacity"; got != want {
		t.Fatalf("MinCount above capacity: error code %q (%v), want %q", got, err, want)
	}
	if got := states(t, e); len(got) != 0 {
		t.Errorf("instances %v after a failed launch, want none", got)
	}
	in.MinCount = aws.Int32(1)
	if ids := runInstances(t, e, in); len(ids) != 2 {
		t.Errorf("launched %v, want the 2 the pool had room for", ids)
	}
	// Spot is another pool. The SDK filled in a client token for the last call; this is a new one.
	in.ClientToken = nil
	in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}
	out, err := e.client.RunInstances(t.Context(), in)
	if err != nil || len(out.Instances) != 5 || out.Instances[0].InstanceLifecycle != types.InstanceLifecycleTypeSpot {
		t.Errorf("spot launch = %+v, %v; want 5 spot instances", out, err)
	}
}

func TestRunInstancesRejectsBadRequests(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	for _, tc := range []struct {
		name string
		in   ec2.RunInstancesInput
		want string
	}{
		{"MaxCount below MinCount", ec2.RunInstancesInput{InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(2), MaxCount: aws.Int32(1)}, "InvalidParameterValue"},
		{"no instance type", ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}, "MissingParameter"},
		{"unknown instance type", ec2.RunInstancesInput{InstanceType: "m5.enormous", MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}, "InvalidParameterValue"},
		{"unknown subnet", ec2.RunInstancesInput{InstanceType: types.InstanceTypeM5Large, SubnetId: aws.String("subnet-0000"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}, "InvalidSubnetID.NotFound"},
		{"unknown template", ec2.RunInstancesInput{LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("nope")}, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}, "InvalidLaunchTemplateName.NotFoundException"},
	} {
		_, err := e.client.RunInstances(t.Context(), &tc.in)
		if got := errorCode(err); got != tc.want {
			t.Errorf("%s: error code %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
}
