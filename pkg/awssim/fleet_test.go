package awssim_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// subnets returns the simulator's subnets by zone.
func subnets(t *testing.T, e env) map[string]types.Subnet {
	t.Helper()
	out, err := e.client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	byZone := map[string]types.Subnet{}
	for _, s := range out.Subnets {
		byZone[aws.ToString(s.AvailabilityZone)] = s
	}
	return byZone
}

// defaultTemplate creates the stevedore-default launch template that fleetInput launches from, and returns its ID.
func defaultTemplate(t *testing.T, e env) string {
	t.Helper()
	out, err := e.client.CreateLaunchTemplate(t.Context(), &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("stevedore-default"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
}

// fleetOverride is an override of instanceType in subnet, with a priority when priority >= 0.
func fleetOverride(instanceType string, subnet types.Subnet, priority float64) types.FleetLaunchTemplateOverridesRequest {
	o := types.FleetLaunchTemplateOverridesRequest{InstanceType: types.InstanceType(instanceType), SubnetId: subnet.SubnetId}
	if priority >= 0 {
		o.Priority = aws.Float64(priority)
	}
	return o
}

// fleetInput asks for an instant fleet of n instances of capacityType from overrides, tagged nodeclaim=name.
func fleetInput(n int32, capacityType types.DefaultTargetCapacityType, name string, overrides ...types.FleetLaunchTemplateOverridesRequest) *ec2.CreateFleetInput {
	return &ec2.CreateFleetInput{
		Type: types.FleetTypeInstant,
		LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{{
			LaunchTemplateSpecification: &types.FleetLaunchTemplateSpecificationRequest{
				LaunchTemplateName: aws.String("stevedore-default"), Version: aws.String("$Latest"),
			},
			Overrides: overrides,
		}},
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{
			TotalTargetCapacity: aws.Int32(n), DefaultTargetCapacityType: capacityType,
		},
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeInstance,
			Tags:         []types.Tag{{Key: aws.String("stevedore.dev/nodeclaim"), Value: aws.String(name)}},
		}},
	}
}

func TestCreateFleetLaunchesTaggedInstances(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{BootDelay: 30 * time.Second}, 1)
	defaultTemplate(t, e)
	zones := subnets(t, e)
	subnet := zones["us-east-1b"]
	out, err := e.client.CreateFleet(t.Context(), fleetInput(2, types.DefaultTargetCapacityTypeOnDemand, "default-abc",
		fleetOverride("m5.large", subnet, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) != 0 || len(out.Instances) != 1 || len(out.Instances[0].InstanceIds) != 2 {
		t.Fatalf("fleet = %d errors, %+v; want no errors and one group of two instances", len(out.Errors), out.Instances)
	}
	group := out.Instances[0]
	if group.InstanceType != "m5.large" || group.Lifecycle != types.InstanceLifecycleOnDemand ||
		aws.ToString(group.LaunchTemplateAndOverrides.Overrides.AvailabilityZone) != "us-east-1b" ||
		aws.ToString(group.LaunchTemplateAndOverrides.LaunchTemplateSpecification.LaunchTemplateName) != "stevedore-default" {
		t.Errorf("fleet instance group = %+v; want on-demand m5.large in us-east-1b from stevedore-default", group)
	}
	if got, want := aws.ToInt32(subnets(t, e)["us-east-1b"].AvailableIpAddressCount), aws.ToInt32(subnet.AvailableIpAddressCount)-2; got != want {
		t.Errorf("subnet has %d free addresses after launching two instances, want %d", got, want)
	}

	describe := func() []types.Instance {
		t.Helper()
		out, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: group.InstanceIds})
		if err != nil {
			t.Fatal(err)
		}
		var instances []types.Instance
		for _, r := range out.Reservations {
			instances = append(instances, r.Instances...)
		}
		return instances
	}
	for _, in := range describe() {
		if in.State.Name != types.InstanceStateNamePending || aws.ToInt32(in.State.Code) != 0 {
			t.Errorf("%s is %s right after launch, want pending", aws.ToString(in.InstanceId), in.State.Name)
		}
		if v := tagValue(in.Tags, "stevedore.dev/nodeclaim"); v != "default-abc" {
			t.Errorf("%s nodeclaim tag = %q, want default-abc", aws.ToString(in.InstanceId), v)
		}
		if aws.ToString(in.Placement.AvailabilityZone) != "us-east-1b" || aws.ToString(in.SubnetId) != aws.ToString(subnet.SubnetId) ||
			aws.ToString(in.PrivateIpAddress) == "" || aws.ToString(in.ImageId) == "" || in.InstanceLifecycle != "" ||
			!aws.ToTime(in.LaunchTime).Equal(newClock().Now()) {
			t.Errorf("instance = zone %s, subnet %s, IP %q, image %q, lifecycle %q, launched %v", aws.ToString(in.Placement.AvailabilityZone),
				aws.ToString(in.SubnetId), aws.ToString(in.PrivateIpAddress), aws.ToString(in.ImageId), in.InstanceLifecycle, aws.ToTime(in.LaunchTime))
		}
	}
	e.clock.Advance(30 * time.Second)
	for _, in := range describe() {
		if in.State.Name != types.InstanceStateNameRunning || aws.ToInt32(in.State.Code) != 16 {
			t.Errorf("%s is %s after BootDelay, want running", aws.ToString(in.InstanceId), in.State.Name)
		}
	}
}

func TestCreateFleetInsufficientCapacity(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{
		Capacity: []awssim.CapacityLimit{{InstanceType: "m5.large", Zone: "us-east-1a", CapacityType: "on-demand", Count: 0}},
	}, 1)
	defaultTemplate(t, e)
	zones := subnets(t, e)
	out, err := e.client.CreateFleet(t.Context(), fleetInput(1, types.DefaultTargetCapacityTypeOnDemand, "ice",
		fleetOverride("m5.large", zones["us-east-1a"], 0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 0 {
		t.Errorf("launched %+v, want nothing", out.Instances)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].ErrorCode) != "InsufficientInstanceCapacity" ||
		out.Errors[0].LaunchTemplateAndOverrides.Overrides.InstanceType != "m5.large" {
		t.Fatalf("errors = %+v, want one InsufficientInstanceCapacity for m5.large", out.Errors)
	}
	// The same type as spot, or in another zone, is another pool.
	out, err = e.client.CreateFleet(t.Context(), fleetInput(1, types.DefaultTargetCapacityTypeSpot, "spot",
		fleetOverride("m5.large", zones["us-east-1a"], 0)))
	if err != nil || len(out.Instances) != 1 || out.Instances[0].Lifecycle != types.InstanceLifecycleSpot {
		t.Fatalf("spot fleet = %+v, %v; want one spot instance", out, err)
	}
}

func TestCreateFleetFallsBackToNextOverride(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	e.sim.SetCapacity("c5.large", "us-east-1a", "on-demand", 1)
	defaultTemplate(t, e)
	zones := subnets(t, e)
	out, err := e.client.CreateFleet(t.Context(), fleetInput(2, types.DefaultTargetCapacityTypeOnDemand, "fallback",
		fleetOverride("m5.xlarge", zones["us-east-1a"], 2),
		fleetOverride("c5.large", zones["us-east-1a"], 1),
	))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 2 || out.Instances[0].InstanceType != "c5.large" || out.Instances[1].InstanceType != "m5.xlarge" {
		t.Fatalf("instances = %+v; want one c5.large (priority 1), then one m5.xlarge once c5.large ran out", out.Instances)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].ErrorCode) != "InsufficientInstanceCapacity" ||
		out.Errors[0].LaunchTemplateAndOverrides.Overrides.InstanceType != "c5.large" {
		t.Errorf("errors = %+v; want c5.large reported out of capacity", out.Errors)
	}
}

func TestCreateFleetPrefersCheaperAtEqualPriority(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	defaultTemplate(t, e)
	zones := subnets(t, e)
	out, err := e.client.CreateFleet(t.Context(), fleetInput(1, types.DefaultTargetCapacityTypeOnDemand, "cheap",
		fleetOverride("m5.4xlarge", zones["us-east-1c"], -1),
		fleetOverride("m5.large", zones["us-east-1c"], -1),
	))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 || out.Instances[0].InstanceType != "m5.large" {
		t.Errorf("instances = %+v; want the cheaper m5.large", out.Instances)
	}
}

func TestCreateFleetRejectsNonInstant(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	defaultTemplate(t, e)
	in := fleetInput(1, types.DefaultTargetCapacityTypeOnDemand, "x", fleetOverride("m5.large", subnets(t, e)["us-east-1a"], 0))
	in.Type = types.FleetTypeMaintain
	_, err := e.client.CreateFleet(t.Context(), in)
	if got, want := errorCode(err), "UnsupportedOperation"; got != want {
		t.Errorf("maintain fleet: error code %q, want %q", got, want)
	}
}

func TestCreateFleetClientTokenReplaysTheFirstAnswer(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	defaultTemplate(t, e)
	subnet := subnets(t, e)["us-east-1a"]
	in := fleetInput(2, types.DefaultTargetCapacityTypeOnDemand, "retry", fleetOverride("m5.large", subnet, 0))
	in.ClientToken = aws.String("token-1")
	first, err := e.client.CreateFleet(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.CreateFleet(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(first.FleetId) != aws.ToString(again.FleetId) || len(again.Instances) != 1 ||
		len(again.Instances[0].InstanceIds) != 2 || again.Instances[0].InstanceIds[0] != first.Instances[0].InstanceIds[0] {
		t.Errorf("retry answered %+v, want the first answer %+v", again.Instances, first.Instances)
	}
	all, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(all.Reservations[0].Instances); len(all.Reservations) != 1 || n != 2 {
		t.Errorf("a retried fleet launched again: %d reservations", len(all.Reservations))
	}
	changed := fleetInput(3, types.DefaultTargetCapacityTypeOnDemand, "retry", fleetOverride("m5.large", subnet, 0))
	changed.ClientToken = aws.String("token-1")
	if _, err := e.client.CreateFleet(t.Context(), changed); errorCode(err) != "IdempotentParameterMismatch" {
		t.Errorf("the token reused for another request: %v, want IdempotentParameterMismatch", err)
	}
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
