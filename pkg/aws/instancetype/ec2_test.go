package instancetype_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/go-logr/logr/funcr"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// simEC2 runs the simulator in-process and returns a real EC2 client for it. The client makes up to three
// attempts per call: with one, the SDK now and then fails to read a large response over a reused connection
// ("use of closed network connection", which it retries by default). Throttling every request still fails
// every attempt.
func simEC2(t *testing.T, opts awssim.Options) (*awssim.Server, *ec2.Client) {
	t.Helper()
	sim := awssim.New(opts)
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	region := opts.Region
	if region == "" {
		region = "us-east-1"
	}
	cfg, err := awssim.ClientConfig(t.Context(), url, region, 3)
	if err != nil {
		t.Fatal(err)
	}
	return sim, ec2.NewFromConfig(cfg)
}

// simulatorGaps clears what the simulator's DescribeInstanceTypes does not serve, though EC2 does: EBS and
// network bandwidth and the Neuron and inference accelerators. It also clears the interface and card totals of
// the few types the catalog has no totals for, which the simulator stands in for with card 0's figures.
func simulatorGaps(f *instancetype.Facts, catalogued instancetype.Facts) {
	f.EBSBandwidthMbps, f.NetworkBandwidthMbps, f.Accelerator = 0, 0, nil
	if catalogued.MaxENIs == 0 {
		f.MaxENIs, f.NetworkCards = 0, 0
	}
}

func TestEC2FactsMatchTheCatalog(t *testing.T) {
	_, client := simEC2(t, awssim.Options{})
	src := instancetype.NewEC2Source(client, clocktesting.NewFakeClock(time.Now()), instancetype.EC2Options{Fallback: catalog.InstanceTypes()})
	if err := src.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := src.InstanceTypes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := len(catalog.InstanceTypes()); len(got) != want {
		t.Fatalf("EC2 source listed %d types, the simulator serves the catalog's %d", len(got), want)
	}
	differ := 0
	for _, f := range got {
		want, ok := catalog.Lookup(f.Name)
		if !ok {
			t.Errorf("%s: not in the catalog", f.Name)
			continue
		}
		w := want
		simulatorGaps(&f, want)
		simulatorGaps(&w, want)
		if !reflect.DeepEqual(f, w) {
			if differ++; differ <= 10 {
				t.Errorf("%s:\n got %+v\nwant %+v", f.Name, f, w)
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d types differ from the catalog", differ, len(got))
	}
}

func TestEC2SourceTypesUnknownToTheCatalog(t *testing.T) {
	_, client := simEC2(t, awssim.Options{})
	// A fallback without m5 stands for a catalog older than the type.
	var fallback []instancetype.Facts
	for _, f := range catalog.InstanceTypes() {
		if f.Family != "m5" {
			fallback = append(fallback, f)
		}
	}
	src := instancetype.NewEC2Source(client, clocktesting.NewFakeClock(time.Now()), instancetype.EC2Options{Fallback: fallback})
	if err := src.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	types, _ := src.InstanceTypes(t.Context())
	var m5 *instancetype.Facts
	for i := range types {
		if types[i].Name == "m5.large" {
			m5 = &types[i]
		}
	}
	if m5 == nil {
		t.Fatal("m5.large missing: a type the catalog does not know must still be listed")
	}
	// 3 interfaces x (10 addresses - 1) + 2, and no branch interfaces without the catalog's figure.
	if m5.ENIMaxPods != 29 || m5.BranchENIs != 0 || m5.VCPU != 2 || m5.Architecture != "amd64" {
		t.Errorf("m5.large = %+v; want max pods 29 by formula, no branch interfaces, 2 amd64 vCPUs", *m5)
	}
}

func TestEC2SourceFallsBackAndKeepsLastGood(t *testing.T) {
	sim, client := simEC2(t, awssim.Options{})
	var logged []string
	log := funcr.New(func(_, args string) { logged = append(logged, args) }, funcr.Options{})
	m5, _ := catalog.Lookup("m5.large")
	src := instancetype.NewEC2Source(client, clocktesting.NewFakeClock(time.Now()),
		instancetype.EC2Options{Fallback: []instancetype.Facts{m5}, Log: log})

	sim.SetThrottle(1)
	if err := src.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	for range 2 {
		if types, _ := src.InstanceTypes(t.Context()); len(types) != 1 || types[0].Name != "m5.large" {
			t.Fatalf("before the first success got %d types; want the fallback's one", len(types))
		}
	}
	if len(logged) != 1 {
		t.Errorf("want the fallback logged once, got %q", logged)
	}

	sim.SetThrottle(0)
	if err := src.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	loaded, _ := src.InstanceTypes(t.Context())
	if len(loaded) < 1000 || src.Version() != 1 {
		t.Fatalf("after a refresh: %d types, version %d; want EC2's list, version 1", len(loaded), src.Version())
	}
	sim.SetThrottle(1)
	if err := src.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	if kept, _ := src.InstanceTypes(t.Context()); len(kept) != len(loaded) || src.Version() != 1 {
		t.Errorf("a failed refresh left %d types, version %d; want the last good %d, version 1", len(kept), src.Version(), len(loaded))
	}
	sim.SetThrottle(0)
	if err := src.Refresh(t.Context()); err != nil || src.Version() != 1 {
		t.Errorf("an unchanged answer moved the version to %d (err %v)", src.Version(), err)
	}
}

// countingEC2 counts DescribeInstanceTypes calls on their way to the real client.
type countingEC2 struct {
	*ec2.Client
	calls atomic.Int32
}

func (c *countingEC2) DescribeInstanceTypes(ctx context.Context, in *ec2.DescribeInstanceTypesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error) {
	if in.NextToken == nil {
		c.calls.Add(1)
	}
	return c.Client.DescribeInstanceTypes(ctx, in, opts...)
}

func TestEC2SourceStartRefreshesOnSchedule(t *testing.T) {
	sim, client := simEC2(t, awssim.Options{})
	counting := &countingEC2{Client: client}
	clk := clocktesting.NewFakeClock(time.Now())
	src := instancetype.NewEC2Source(counting, clk, instancetype.EC2Options{RefreshInterval: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- src.Start(ctx) }()

	waitForTimer := func(wantCalls int32) {
		t.Helper()
		for !clk.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		if got := counting.calls.Load(); got != wantCalls {
			t.Fatalf("%d refreshes, want %d", got, wantCalls)
		}
	}
	waitForTimer(1)
	if src.Version() != 1 {
		t.Fatalf("version %d after the first refresh, want 1", src.Version())
	}
	clk.Step(59 * time.Minute)
	waitForTimer(1)
	sim.SetThrottle(1)
	clk.Step(time.Minute)
	waitForTimer(2) // failed: retried after a minute, not an hour
	sim.SetThrottle(0)
	clk.Step(time.Minute)
	waitForTimer(3)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start returned %v when its context ended", err)
	}
	if types, _ := src.InstanceTypes(t.Context()); len(types) < 1000 {
		t.Errorf("%d types after the loop; want EC2's list", len(types))
	}
}
