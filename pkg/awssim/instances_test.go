package awssim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// launch creates n on-demand m5.large instances in us-east-1a tagged nodeclaim=name and returns their IDs.
func launch(t *testing.T, e env, n int32, name string) []string {
	t.Helper()
	if _, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{
		LaunchTemplateNames: []string{"stevedore-default"},
	}); errorCode(err) == "InvalidLaunchTemplateName.NotFoundException" {
		defaultTemplate(t, e)
	}
	out, err := e.client.CreateFleet(t.Context(), fleetInput(n, types.DefaultTargetCapacityTypeOnDemand, name,
		fleetOverride("m5.large", subnets(t, e)["us-east-1a"], 0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 {
		t.Fatalf("fleet launched %+v, errors %+v", out.Instances, out.Errors)
	}
	return out.Instances[0].InstanceIds
}

// states returns the state of each instance that the filters select, by ID.
func states(t *testing.T, e env, filters ...types.Filter) map[string]types.InstanceStateName {
	t.Helper()
	out, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{Filters: filters})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]types.InstanceStateName{}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			got[aws.ToString(in.InstanceId)] = in.State.Name
		}
	}
	return got
}

func TestDescribeInstancesFilters(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{BootDelay: time.Minute}, 1)
	blue := launch(t, e, 2, "blue")
	e.clock.Advance(time.Minute)
	green := launch(t, e, 1, "green")

	tests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{name: "all", want: append(slices.Clone(blue), green...)},
		{name: "tag", filters: []types.Filter{tagFilter("stevedore.dev/nodeclaim", "blue")}, want: blue},
		{name: "tag-key", filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"stevedore.dev/nodeclaim"}}}, want: append(slices.Clone(blue), green...)},
		{name: "running", filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}, want: blue},
		{name: "pending", filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending"}}}, want: green},
		{name: "tag and state", filters: []types.Filter{
			tagFilter("stevedore.dev/nodeclaim", "green"),
			{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
		}, want: green},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := states(t, e, tt.filters...)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, id := range tt.want {
				if _, ok := got[id]; !ok {
					t.Errorf("got %v, want %s among them", got, id)
				}
			}
		})
	}
}

func TestTerminateInstances(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{ShutdownDelay: 20 * time.Second, TerminatedRetention: 10 * time.Minute}, 1)
	ids := launch(t, e, 1, "doomed")
	id := ids[0]
	before := aws.ToInt32(subnets(t, e)["us-east-1a"].AvailableIpAddressCount)

	out, err := e.client.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	if c := out.TerminatingInstances[0]; c.PreviousState.Name != types.InstanceStateNameRunning ||
		c.CurrentState.Name != types.InstanceStateNameShuttingDown || aws.ToInt32(c.CurrentState.Code) != 32 {
		t.Fatalf("state change = %s -> %s, want running -> shutting-down", c.PreviousState.Name, c.CurrentState.Name)
	}
	// Terminating again is harmless and changes nothing.
	out, err = e.client.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil || out.TerminatingInstances[0].CurrentState.Name != types.InstanceStateNameShuttingDown {
		t.Fatalf("second terminate = %+v, %v; want still shutting-down", out, err)
	}

	e.clock.Advance(20 * time.Second)
	if got := states(t, e)[id]; got != types.InstanceStateNameTerminated {
		t.Fatalf("after ShutdownDelay the instance is %s, want terminated", got)
	}
	if after := aws.ToInt32(subnets(t, e)["us-east-1a"].AvailableIpAddressCount); after != before+1 {
		t.Errorf("subnet has %d free addresses after termination, want %d", after, before+1)
	}

	e.clock.Advance(10 * time.Minute)
	if got := states(t, e); len(got) != 0 {
		t.Errorf("after TerminatedRetention DescribeInstances returns %v, want nothing", got)
	}
	_, err = e.client.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: ids})
	if got, want := errorCode(err), "InvalidInstanceID.NotFound"; got != want {
		t.Errorf("terminating a forgotten instance: error code %q, want %q", got, want)
	}
}

func TestUnknownInstanceID(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	_, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	if got, want := errorCode(err), "InvalidInstanceID.NotFound"; got != want {
		t.Errorf("DescribeInstances: error code %q (%v), want %q", got, err, want)
	}
	_, err = e.client.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	if got, want := errorCode(err), "InvalidInstanceID.NotFound"; got != want {
		t.Errorf("TerminateInstances: error code %q (%v), want %q", got, err, want)
	}
	_, err = e.client.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: []string{"not-an-id"}})
	if got, want := errorCode(err), "InvalidInstanceID.Malformed"; got != want {
		t.Errorf("malformed ID: error code %q (%v), want %q", got, err, want)
	}
}

func TestCreateTags(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	id := launch(t, e, 1, "tagged")[0]
	_, err := e.client.CreateTags(t.Context(), &ec2.CreateTagsInput{
		Resources: []string{id},
		Tags:      []types.Tag{{Key: aws.String("Name"), Value: aws.String("node-1")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := states(t, e, tagFilter("Name", "node-1")); len(got) != 1 {
		t.Errorf("instances tagged Name=node-1: %v, want %s", got, id)
	}
	_, err = e.client.CreateTags(t.Context(), &ec2.CreateTagsInput{
		Resources: []string{"i-0123456789abcdef0"},
		Tags:      []types.Tag{{Key: aws.String("Name"), Value: aws.String("x")}},
	})
	if got, want := errorCode(err), "InvalidInstanceID.NotFound"; got != want {
		t.Errorf("tagging an unknown instance: error code %q, want %q", got, want)
	}
}
