package instance_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/aws/ice"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

type env struct {
	sim      *awssim.Server
	client   *ec2.Client
	provider *instance.Provider
	marks    *ice.Cache
	subnets  map[string]string // zone -> subnet ID
}

// start runs the simulator in-process and points a real SDK client at it over HTTP.
func start(t *testing.T, opts awssim.Options) env {
	t.Helper()
	opts.ClusterName = "test"
	sim := awssim.New(opts)
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 5)
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(cfg)
	out, err := client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	subnets := map[string]string{}
	for _, s := range out.Subnets {
		subnets[aws.ToString(s.AvailabilityZone)] = aws.ToString(s.SubnetId)
	}
	// Simulators that resolve launch templates need one; older ones ignore the call's absence.
	_, _ = client.CreateLaunchTemplate(t.Context(), &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("stevedore-test"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-0123456789abcdef0")},
	})
	marks := ice.New(clocktesting.NewFakeClock(time.Now()), time.Minute)
	return env{sim: sim, client: client, provider: instance.NewProvider(client, "test", marks), marks: marks, subnets: subnets}
}

func (e env) launch(t *testing.T, capacityType string, types ...string) (*instance.Instance, error) {
	t.Helper()
	var overrides []fleet.Override
	for i, it := range types {
		overrides = append(overrides, fleet.Override{InstanceType: it, SubnetID: e.subnets["us-east-1a"], Zone: "us-east-1a", Priority: float64(i)})
	}
	return e.provider.Launch(t.Context(), instance.Launch{
		NodeClaim: "default-abc12", NodePool: "default", NodeClass: "default", LaunchTemplate: "stevedore-test",
		CapacityType: capacityType, Strategy: "lowest-price", Overrides: overrides, Tags: map[string]string{"team": "web", awsv1.TagCluster: "spoofed"},
	})
}

func TestLaunchGetListDelete(t *testing.T) {
	e := start(t, awssim.Options{})
	launched, err := e.launch(t, v1.CapacityTypeOnDemand, "m5.large", "m5.xlarge")
	if err != nil {
		t.Fatal(err)
	}
	if launched.Type != "m5.large" || launched.Zone != "us-east-1a" || launched.ProviderID() != "aws:///us-east-1a/"+launched.ID {
		t.Errorf("launched %+v", launched)
	}
	got, err := e.provider.Get(t.Context(), launched.ID)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"team": "web", awsv1.TagCluster: "test", awsv1.TagNodeClaim: "default-abc12", awsv1.TagNodePool: "default",
		awsv1.TagEC2NodeClass: "default", "kubernetes.io/cluster/test": "owned", "Name": "default-abc12"} {
		if got.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q (ownership tags win over the user's)", k, got.Tags[k], v)
		}
	}
	list, err := e.provider.List(t.Context())
	if err != nil || len(list) != 1 || list[0].ID != launched.ID {
		t.Fatalf("List = %+v, %v", list, err)
	}
	id, err := instance.ParseProviderID(launched.ProviderID())
	if err != nil || id != launched.ID {
		t.Errorf("ParseProviderID = %q, %v", id, err)
	}
	if err := e.provider.Delete(t.Context(), launched.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.provider.List(t.Context()); len(list) != 0 {
		t.Errorf("a terminating instance is still listed: %+v", list)
	}
	if _, err := e.provider.Get(t.Context(), "i-0000000000000dead"); !cloudprovider.IsNodeClaimNotFoundError(err) {
		t.Errorf("unknown instance: %v", err)
	}
	if _, err := instance.ParseProviderID("aws:///us-east-1a/not-an-instance"); err == nil {
		t.Error("a malformed provider ID parsed")
	}
}

func TestDeleteIsIdempotent(t *testing.T) {
	e := start(t, awssim.Options{TerminatedRetention: time.Hour})
	launched, err := e.launch(t, v1.CapacityTypeOnDemand, "m5.large")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.provider.Delete(t.Context(), launched.ID); err != nil {
		t.Fatal(err)
	}
	// The simulator finishes shutting down instantly (no ShutdownDelay): the second delete finds it gone.
	if err := e.provider.Delete(t.Context(), launched.ID); !cloudprovider.IsNodeClaimNotFoundError(err) {
		t.Errorf("second delete = %v, want NodeClaimNotFound", err)
	}
}

func TestInsufficientCapacityFallsBackAndMarks(t *testing.T) {
	e := start(t, awssim.Options{})
	e.sim.SetCapacity("m5.large", "us-east-1a", v1.CapacityTypeSpot, 0)
	launched, err := e.launch(t, v1.CapacityTypeSpot, "m5.large", "c5.large")
	if err != nil {
		t.Fatal(err)
	}
	if launched.Type != "c5.large" {
		t.Errorf("launched %s, want the fallback c5.large", launched.Type)
	}
	if !e.marks.IsUnavailable(v1.CapacityTypeSpot, "m5.large", "us-east-1a") {
		t.Error("the offering EC2 had no capacity for is not marked")
	}
	e.sim.SetCapacity("c5.large", "us-east-1a", v1.CapacityTypeSpot, 0)
	_, err = e.launch(t, v1.CapacityTypeSpot, "m5.large", "c5.large")
	if !cloudprovider.IsInsufficientCapacityError(err) {
		t.Fatalf("all offerings out of capacity: %v, want InsufficientCapacityError", err)
	}
	if list, _ := e.provider.List(t.Context()); len(list) != 1 {
		t.Errorf("%d instances, want only the first launch's: a failed launch must leave nothing behind", len(list))
	}
	if _, err := e.provider.Launch(t.Context(), instance.Launch{CapacityType: v1.CapacityTypeSpot}); !cloudprovider.IsInsufficientCapacityError(err) {
		t.Errorf("no overrides: %v", err)
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	e := start(t, awssim.Options{})
	e.sim.SetThrottle(2)
	for range 3 {
		if _, err := e.launch(t, v1.CapacityTypeOnDemand, "m5.large"); err != nil {
			t.Fatalf("launch under throttling: %v", err)
		}
	}
	if list, err := e.provider.List(t.Context()); err != nil || len(list) != 3 {
		t.Errorf("List under throttling = %d, %v", len(list), err)
	}
}

// countingEC2 counts the calls that batching merges.
type countingEC2 struct {
	*ec2.Client
	fleets, describes, terminates atomic.Int32
}

func (c *countingEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	c.describes.Add(1)
	return c.Client.DescribeInstances(ctx, in, opts...)
}

func (c *countingEC2) TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, opts ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	c.terminates.Add(1)
	return c.Client.TerminateInstances(ctx, in, opts...)
}

func (c *countingEC2) CreateFleet(ctx context.Context, in *ec2.CreateFleetInput, opts ...func(*ec2.Options)) (*ec2.CreateFleetOutput, error) {
	c.fleets.Add(1)
	return c.Client.CreateFleet(ctx, in, opts...)
}

func TestConcurrentLaunchesShareACreateFleetCall(t *testing.T) {
	e := start(t, awssim.Options{})
	counting := &countingEC2{Client: e.client}
	provider := instance.NewProvider(counting, "test", e.marks)
	const n = 8
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			<-startGate
			inst, err := provider.Launch(t.Context(), instance.Launch{
				NodeClaim: fmt.Sprintf("claim-%d", i), NodePool: "default", NodeClass: "default", LaunchTemplate: "stevedore-test",
				CapacityType: v1.CapacityTypeOnDemand, Strategy: "lowest-price",
				Overrides: []fleet.Override{{InstanceType: "m5.large", SubnetID: e.subnets["us-east-1a"], Zone: "us-east-1a"}},
			})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = inst.ID
		})
	}
	close(startGate)
	wg.Wait()
	if calls := counting.fleets.Load(); calls >= n {
		t.Errorf("%d CreateFleet calls for %d concurrent launches, want them merged", calls, n)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("launch %d got instance %q: every claim needs its own", i, id)
		}
		seen[id] = true
		got, err := provider.Get(t.Context(), id)
		if err != nil || got.Tags[awsv1.TagNodeClaim] != fmt.Sprintf("claim-%d", i) {
			t.Errorf("instance %s tags %v, %v: want its own NodeClaim", id, got.Tags, err)
		}
	}
}

func TestOverridesUseTheirOwnLaunchTemplates(t *testing.T) {
	e := start(t, awssim.Options{})
	_, err := e.client.CreateLaunchTemplate(t.Context(), &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("stevedore-test-arm64"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-0fedcba9876543210")},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sim.SetCapacity("m5.large", "us-east-1a", v1.CapacityTypeOnDemand, 0)
	launched, err := e.provider.Launch(t.Context(), instance.Launch{
		NodeClaim: "default-arm", NodePool: "default", NodeClass: "default", LaunchTemplate: "stevedore-test",
		CapacityType: v1.CapacityTypeOnDemand, Strategy: "prioritized",
		Overrides: []fleet.Override{
			{InstanceType: "m5.large", SubnetID: e.subnets["us-east-1a"], Zone: "us-east-1a", Priority: 0},
			{InstanceType: "m6g.large", SubnetID: e.subnets["us-east-1a"], Zone: "us-east-1a", Priority: 1, LaunchTemplate: "stevedore-test-arm64"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.provider.Get(t.Context(), launched.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "m6g.large" || got.ImageID != "ami-0fedcba9876543210" {
		t.Errorf("launched %s from image %s, want m6g.large from its own template's image", got.Type, got.ImageID)
	}
	found, err := e.provider.FindByNodeClaim(t.Context(), "default-arm")
	if err != nil || found == nil || found.ID != launched.ID {
		t.Errorf("FindByNodeClaim = %+v, %v; want the instance launched for the claim, so a retry adopts it", found, err)
	}
	if none, err := e.provider.FindByNodeClaim(t.Context(), "never-launched"); err != nil || none != nil {
		t.Errorf("FindByNodeClaim(unknown) = %+v, %v; want nothing", none, err)
	}
}
