package network_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/network"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

const cluster = "test"

// counting passes calls to the real client and counts them, so tests can see what the cache saves.
type counting struct {
	network.EC2API
	subnets, groups atomic.Int32
}

func (c *counting) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	c.subnets.Add(1)
	return c.EC2API.DescribeSubnets(ctx, in, opts...)
}

func (c *counting) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	c.groups.Add(1)
	return c.EC2API.DescribeSecurityGroups(ctx, in, opts...)
}

type env struct {
	provider *network.Provider
	calls    *counting
	clock    *clocktesting.FakeClock
	subnets  map[string]string // zone -> subnet ID
	group    awsv1.SecurityGroup
}

// start runs the simulator in-process and points a real SDK client at it over HTTP. Clients make up to three
// attempts per call, since the SDK now and then fails to read a large first response from the simulator
// ("use of closed network connection") and retries it, as it would against EC2.
func start(t *testing.T) env {
	t.Helper()
	sim := awssim.New(awssim.Options{ClusterName: cluster})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(cfg)
	e := env{calls: &counting{EC2API: client}, clock: clocktesting.NewFakeClock(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)), subnets: map[string]string{}}
	e.provider = network.New(e.calls, e.clock)
	out, err := client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Subnets {
		e.subnets[*s.AvailabilityZone] = *s.SubnetId
	}
	groups, err := client.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{})
	if err != nil || len(groups.SecurityGroups) != 1 {
		t.Fatalf("describing the simulator's security group: %v", err)
	}
	e.group = awsv1.SecurityGroup{ID: *groups.SecurityGroups[0].GroupId, Name: *groups.SecurityGroups[0].GroupName}
	return e
}

func nodeClass(subnets []awsv1.SubnetSelectorTerm, groups []awsv1.SecurityGroupSelectorTerm) *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{}
	nc.Name = "default"
	nc.Spec.SubnetSelectorTerms = subnets
	nc.Spec.SecurityGroupSelectorTerms = groups
	return nc
}

func TestSubnets(t *testing.T) {
	e := start(t)
	a, b, c := e.subnets["us-east-1a"], e.subnets["us-east-1b"], e.subnets["us-east-1c"]
	for _, tc := range []struct {
		name  string
		terms []awsv1.SubnetSelectorTerm
		want  []string
	}{
		{"tag value", []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster}}}, []string{a, b, c}},
		{"any tag value", []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": "*"}}}, []string{a, b, c}},
		{"tags are ANDed", []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster, "Name": "test-private-us-east-1b"}}}, []string{b}},
		{"id", []awsv1.SubnetSelectorTerm{{ID: c}}, []string{c}},
		{"terms are ORed and sorted by zone", []awsv1.SubnetSelectorTerm{{ID: c}, {Tags: map[string]string{"Name": "test-private-us-east-1a"}}}, []string{a, c}},
		{"overlapping terms list a subnet once", []awsv1.SubnetSelectorTerm{{ID: b}, {Tags: map[string]string{"stevedore.dev/discovery": cluster}}}, []string{a, b, c}},
		{"other cluster's tag", []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": "other"}}}, []string{}},
		{"missing tag key", []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"kubernetes.io/role/internal-elb": "*"}}}, []string{}},
		{"unknown id", []awsv1.SubnetSelectorTerm{{ID: "subnet-0000000000000000"}}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.provider.Subnets(t.Context(), nodeClass(tc.terms, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("got nil, want an empty slice when nothing matches")
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestSubnetDetails(t *testing.T) {
	e := start(t)
	got, err := e.provider.Subnets(t.Context(), nodeClass([]awsv1.SubnetSelectorTerm{{ID: e.subnets["us-east-1b"]}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	// A /20 less the five addresses EC2 reserves.
	want := network.Subnet{ID: e.subnets["us-east-1b"], Zone: "us-east-1b", ZoneID: "use1-az2", AvailableIPs: 4091}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want [%+v]", got, want)
	}
	if s := got[0].Status(); s != (awsv1.Subnet{ID: want.ID, Zone: "us-east-1b", ZoneID: "use1-az2"}) {
		t.Errorf("status: got %+v", s)
	}
	if f := got[0].Fleet(); f.ID != want.ID || f.Zone != "us-east-1b" || f.AvailableIPs != 4091 {
		t.Errorf("fleet: got %+v", f)
	}
}

func TestSecurityGroups(t *testing.T) {
	e := start(t)
	for _, tc := range []struct {
		name  string
		terms []awsv1.SecurityGroupSelectorTerm
		want  []awsv1.SecurityGroup
	}{
		{"tag value", []awsv1.SecurityGroupSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster}}}, []awsv1.SecurityGroup{e.group}},
		{"any tag value", []awsv1.SecurityGroupSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": "*", "Name": "test-nodes"}}}, []awsv1.SecurityGroup{e.group}},
		{"id", []awsv1.SecurityGroupSelectorTerm{{ID: e.group.ID}}, []awsv1.SecurityGroup{e.group}},
		{"name", []awsv1.SecurityGroupSelectorTerm{{Name: "test-nodes"}}, []awsv1.SecurityGroup{e.group}},
		{"ORed with a term that matches nothing", []awsv1.SecurityGroupSelectorTerm{{Name: "web"}, {ID: e.group.ID}}, []awsv1.SecurityGroup{e.group}},
		{"tags are ANDed", []awsv1.SecurityGroupSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster, "team": "*"}}}, []awsv1.SecurityGroup{}},
		{"unknown name", []awsv1.SecurityGroupSelectorTerm{{Name: "web"}}, []awsv1.SecurityGroup{}},
		{"unknown id", []awsv1.SecurityGroupSelectorTerm{{ID: "sg-0000000000000000"}}, []awsv1.SecurityGroup{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.provider.SecurityGroups(t.Context(), nodeClass(nil, tc.terms))
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !slices.Equal(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestCacheExpiresAfterAMinute(t *testing.T) {
	e := start(t)
	nc := nodeClass(
		[]awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster}}},
		[]awsv1.SecurityGroupSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster}}},
	)
	resolve := func() {
		t.Helper()
		subnets, err := e.provider.Subnets(t.Context(), nc)
		if err != nil || len(subnets) != 3 {
			t.Fatalf("subnets: got %v, %v", subnets, err)
		}
		groups, err := e.provider.SecurityGroups(t.Context(), nc)
		if err != nil || len(groups) != 1 {
			t.Fatalf("security groups: got %v, %v", groups, err)
		}
	}
	calls := func() [2]int32 { return [2]int32{e.calls.subnets.Load(), e.calls.groups.Load()} }

	resolve()
	resolve()
	if got := calls(); got != [2]int32{1, 1} {
		t.Fatalf("after two resolves: got %v calls, want one of each", got)
	}
	// Another node class with the same selectors shares the answer.
	other := nc.DeepCopy()
	other.Name = "other"
	if _, err := e.provider.Subnets(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	e.clock.Step(59 * time.Second)
	resolve()
	if got := calls(); got != [2]int32{1, 1} {
		t.Fatalf("within a minute: got %v calls, want one of each", got)
	}
	e.clock.Step(time.Second)
	resolve()
	if got := calls(); got != [2]int32{2, 2} {
		t.Fatalf("after a minute: got %v calls, want two of each", got)
	}
	// Different selectors are a different entry.
	nc.Spec.SubnetSelectorTerms = []awsv1.SubnetSelectorTerm{{ID: e.subnets["us-east-1a"]}}
	if got, err := e.provider.Subnets(t.Context(), nc); err != nil || len(got) != 1 {
		t.Fatalf("changed selectors: got %v, %v", got, err)
	}
}

func TestCallerCannotChangeCachedAnswer(t *testing.T) {
	e := start(t)
	nc := nodeClass([]awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster}}}, nil)
	first, err := e.provider.Subnets(t.Context(), nc)
	if err != nil {
		t.Fatal(err)
	}
	first[0].ID = "subnet-changed"
	second, err := e.provider.Subnets(t.Context(), nc)
	if err != nil {
		t.Fatal(err)
	}
	if second[0].ID != e.subnets["us-east-1a"] {
		t.Errorf("got %s, want the cached answer unchanged", second[0].ID)
	}
}

func TestFailureIsNotCached(t *testing.T) {
	e := start(t)
	nc := nodeClass(
		[]awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster}}},
		[]awsv1.SecurityGroupSelectorTerm{{Name: "test-nodes"}},
	)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.provider.Subnets(cancelled, nc); err == nil {
		t.Fatal("subnets: want an error from a cancelled call")
	}
	if _, err := e.provider.SecurityGroups(cancelled, nc); err == nil {
		t.Fatal("security groups: want an error from a cancelled call")
	}
	if got, err := e.provider.Subnets(t.Context(), nc); err != nil || len(got) != 3 {
		t.Errorf("subnets after a failure: got %v, %v; want the three subnets", got, err)
	}
	if got, err := e.provider.SecurityGroups(t.Context(), nc); err != nil || len(got) != 1 {
		t.Errorf("security groups after a failure: got %v, %v; want the group", got, err)
	}
}

func TestConcurrentResolvesAgree(t *testing.T) {
	e := start(t)
	nc := nodeClass(
		[]awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": cluster}}},
		[]awsv1.SecurityGroupSelectorTerm{{ID: e.group.ID}},
	)
	errs := make(chan error, 16)
	for range 8 {
		go func() {
			subnets, err := e.provider.Subnets(t.Context(), nc)
			if err == nil && len(subnets) != 3 {
				err = fmt.Errorf("got %d subnets, want 3", len(subnets))
			}
			errs <- err
		}()
		go func() {
			groups, err := e.provider.SecurityGroups(t.Context(), nc)
			if err == nil && len(groups) != 1 {
				err = fmt.Errorf("got %d security groups, want 1", len(groups))
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
