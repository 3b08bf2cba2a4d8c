package awssim_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// fakeClock is a settable clock for Options.Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a started simulator and an SDK client that talks to it.
type env struct {
	sim    *awssim.Server
	client *ec2.Client
	clock  *fakeClock
	url    string
}

// setup starts a simulator with opts (and a fake clock unless opts has one) and returns a client that makes
// at most attempts attempts per call, without waiting between them.
func setup(t *testing.T, opts awssim.Options, attempts int) env {
	t.Helper()
	clock := newClock()
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	sim := awssim.New(opts)
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", attempts)
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	client := ec2.NewFromConfig(cfg)
	return env{sim: sim, client: client, clock: clock, url: url}
}

// errorCode returns the API error code the SDK surfaces for err, or "" when err is not an API error.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestStartRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	if _, _, err := awssim.New(awssim.Options{}).Start("0.0.0.0:0"); err == nil {
		t.Fatal("Start(0.0.0.0:0) succeeded; want an error for a non-loopback address")
	}
}

func TestUnknownActionIsAnAPIError(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	// DescribeVpcs is not simulated yet; the SDK must still see a well-formed EC2 error.
	_, err := e.client.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	if got, want := errorCode(err), "InvalidAction"; got != want {
		t.Fatalf("DescribeVpcs error code = %q (%v), want %q", got, err, want)
	}
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	t.Run("surfaces RequestLimitExceeded without retries", func(t *testing.T) {
		t.Parallel()
		e := setup(t, awssim.Options{ThrottleEveryNth: 1}, 1)
		_, err := e.client.DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{})
		if got, want := errorCode(err), "RequestLimitExceeded"; got != want {
			t.Fatalf("error code = %q (%v), want %q", got, err, want)
		}
	})
	t.Run("the retryer recovers", func(t *testing.T) {
		t.Parallel()
		e := setup(t, awssim.Options{}, 3)
		e.sim.SetThrottle(2)
		for i := range 4 {
			if _, err := e.client.DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{}); err != nil {
				t.Fatalf("call %d: %v; want the retryer to recover from every second request being throttled", i, err)
			}
		}
		e.sim.SetThrottle(0)
	})
}
