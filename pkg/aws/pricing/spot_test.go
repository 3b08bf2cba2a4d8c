package pricing_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/go-logr/logr"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// simEC2 runs the simulator with a fixed clock and returns a real EC2 client for it (three attempts per call;
// see simPricing).
func simEC2(t *testing.T, now time.Time) (*awssim.Server, *ec2.Client) {
	t.Helper()
	sim := awssim.New(awssim.Options{Seed: 7, Clock: func() time.Time { return now }})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	return sim, ec2.NewFromConfig(cfg)
}

// latestSpot asks the simulator directly for the price in effect now of one pool.
func latestSpot(t *testing.T, client *ec2.Client, instanceType, zone string, now time.Time) float64 {
	t.Helper()
	out, err := client.DescribeSpotPriceHistory(t.Context(), &ec2.DescribeSpotPriceHistoryInput{
		InstanceTypes: []ec2types.InstanceType{ec2types.InstanceType(instanceType)}, AvailabilityZone: aws.String(zone),
		ProductDescriptions: []string{"Linux/UNIX"}, StartTime: aws.Time(now),
	})
	if err != nil || len(out.SpotPriceHistory) == 0 {
		t.Fatalf("%s in %s: %v, %d prices", instanceType, zone, err, len(out.SpotPriceHistory))
	}
	p, err := strconv.ParseFloat(aws.ToString(out.SpotPriceHistory[0].SpotPrice), 64)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSpotPricesMatchTheSimulator(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	_, client := simEC2(t, now)
	spot := pricing.NewSpot(client, clocktesting.NewFakeClock(now), logr.Discard(), pricing.SpotOptions{})
	if _, ok := spot.SpotPrice("m5.large", "us-east-1a"); ok {
		t.Error("a spot price before the first refresh, with no fallback")
	}
	if err := spot.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, it := range []string{"m5.large", "c7g.xlarge", "p5.48xlarge", "t3.nano"} {
		for _, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
			want := latestSpot(t, client, it, zone, now)
			if got, ok := spot.SpotPrice(it, zone); !ok || got != want {
				t.Errorf("%s in %s = %v, %t; the simulator's history says %v", it, zone, got, ok, want)
			}
		}
	}
	if _, ok := spot.SpotPrice("m5.large", "us-east-1d"); ok {
		t.Error("priced a zone the region does not have")
	}
}

func TestSpotFallbackAndLastGood(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	sim, client := simEC2(t, now)
	spot := pricing.NewSpot(client, clocktesting.NewFakeClock(now), logr.Discard(), pricing.SpotOptions{Fallback: fixedSpot(0.01)})
	sim.SetThrottle(1)
	if err := spot.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	if p, ok := spot.SpotPrice("m5.large", "us-east-1a"); !ok || p != 0.01 {
		t.Errorf("before the first success = %v, %t; want the fallback's 0.01", p, ok)
	}
	sim.SetThrottle(0)
	if err := spot.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := latestSpot(t, client, "m5.large", "us-east-1a", now)
	sim.SetThrottle(1)
	if err := spot.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	if p, ok := spot.SpotPrice("m5.large", "us-east-1a"); !ok || p != want || spot.Version() != 1 {
		t.Errorf("after a failed refresh = %v, %t (version %d); want the last good %v (version 1)", p, ok, spot.Version(), want)
	}
	if _, ok := spot.SpotPrice("no.such-type", "us-east-1a"); ok {
		t.Error("after loading, a type EC2 has no spot price for is still priced by the fallback")
	}
}

type fixedSpot float64

func (f fixedSpot) SpotPrice(string, string) (float64, bool) { return float64(f), true }

// countingEC2 counts spot price history calls (first pages) on their way to the real client.
type countingEC2 struct {
	*ec2.Client
	calls atomic.Int32
}

func (c *countingEC2) DescribeSpotPriceHistory(ctx context.Context, in *ec2.DescribeSpotPriceHistoryInput, opts ...func(*ec2.Options)) (*ec2.DescribeSpotPriceHistoryOutput, error) {
	if in.NextToken == nil {
		c.calls.Add(1)
	}
	return c.Client.DescribeSpotPriceHistory(ctx, in, opts...)
}

func TestSpotStartRefreshesEveryFiveMinutes(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	sim, client := simEC2(t, now)
	counting := &countingEC2{Client: client}
	clk := clocktesting.NewFakeClock(now)
	spot := pricing.NewSpot(counting, clk, logr.Discard(), pricing.SpotOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- spot.Start(ctx) }()
	waitForTimer := func(want int32) {
		t.Helper()
		for !clk.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		if got := counting.calls.Load(); got != want {
			t.Fatalf("%d refreshes, want %d", got, want)
		}
	}
	waitForTimer(1)
	clk.Step(4 * time.Minute)
	waitForTimer(1)
	clk.Step(time.Minute)
	waitForTimer(2)
	sim.SetThrottle(1)
	clk.Step(pricing.DefaultSpotRefresh)
	waitForTimer(3) // fails; the retry comes after a minute
	sim.SetThrottle(0)
	clk.Step(time.Minute)
	waitForTimer(4)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start returned %v when its context ended", err)
	}
	if _, ok := spot.SpotPrice("m5.large", "us-east-1a"); !ok {
		t.Error("no spot price after the loop ran")
	}
}
