package awssim_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// describeZonesWithin calls DescribeAvailabilityZones, giving up after limit.
func describeZonesWithin(t *testing.T, e env, limit time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	_, err := e.client.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	return err
}

func TestLatency(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{Latency: time.Hour}, 1)
	// With an hour of latency no answer can come back within 50ms, however fast the machine.
	if err := describeZonesWithin(t, e, 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call with an hour of latency = %v, want the client's deadline to pass", err)
	}
	// Admin requests are not delayed, so the latency can always be inspected and removed.
	var state awssim.AdminState
	if code := admin(t, e, http.MethodGet, "/admin/state", "", &state); code != http.StatusOK || state.Latency != "1h0m0s" {
		t.Fatalf("GET /admin/state = %d, latency %q; want 1h0m0s", code, state.Latency)
	}
	if code := admin(t, e, http.MethodPost, "/admin/latency", `{"latency": "0s"}`, &state); code != http.StatusOK || state.Latency != "0s" {
		t.Fatalf("POST /admin/latency = %d, latency %q; want 0s", code, state.Latency)
	}
	if err := describeZonesWithin(t, e, time.Minute); err != nil {
		t.Errorf("call after removing the latency: %v", err)
	}
	if code := admin(t, e, http.MethodPost, "/admin/latency", `{"latency": "2h"}`, &state); code != http.StatusOK || state.Latency != "2h0m0s" {
		t.Fatalf("POST /admin/latency = %d, latency %q; want 2h0m0s", code, state.Latency)
	}
	if err := describeZonesWithin(t, e, 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("call after setting two hours of latency = %v, want the client's deadline to pass", err)
	}
	for _, body := range []string{`{"latency": "-1s"}`, `{"latency": "soon"}`, `{"delay": "1s"}`} {
		var out map[string]string
		if code := admin(t, e, http.MethodPost, "/admin/latency", body, &out); code != http.StatusBadRequest || out["error"] == "" {
			t.Errorf("POST /admin/latency %s = %d %v, want 400 with an error", body, code, out)
		}
	}
}

func TestUnjoinable(t *testing.T) {
	t.Parallel()
	hooks := newRecorder()
	e := setup(t, awssim.Options{Hooks: hooks}, 1)
	var state awssim.AdminState
	if code := admin(t, e, http.MethodPost, "/admin/unjoinable", `{"count": 1}`, &state); code != http.StatusOK ||
		!equal(state.Unjoinable, []awssim.Unjoinable{{Count: 1}}) {
		t.Fatalf("POST /admin/unjoinable = %d, %+v; want one unjoinable launch of any type", code, state.Unjoinable)
	}
	ids := launch(t, e, 2, "joins")
	// The first instance runs without announcing it; the second is back to normal.
	hooks.expect(t, "running "+ids[1])
	if got := states(t, e); got[ids[0]] != types.InstanceStateNameRunning || got[ids[1]] != types.InstanceStateNameRunning {
		t.Errorf("states %v, want both running in EC2", got)
	}
	admin(t, e, http.MethodGet, "/admin/state", "", &state)
	if len(state.Unjoinable) != 0 || len(state.Instances) != 2 || !state.Instances[0].Unjoinable || state.Instances[1].Unjoinable {
		t.Errorf("state = unjoinable %+v, instances %+v; want the fault used up by the first instance", state.Unjoinable, state.Instances)
	}
	// Terminations are announced for unjoinable instances too: the sandbox has no Node to remove, which is harmless.
	terminate(t, e, ids[0])
	hooks.expect(t, "terminated "+ids[0])

	for _, body := range []string{`{"count": -1}`, `{"instanceType": "m5.enormous", "count": 1}`, `{"cnt": 1}`} {
		var out map[string]string
		if code := admin(t, e, http.MethodPost, "/admin/unjoinable", body, &out); code != http.StatusBadRequest || out["error"] == "" {
			t.Errorf("POST /admin/unjoinable %s = %d %v, want 400 with an error", body, code, out)
		}
	}
}

func TestUnjoinableByInstanceType(t *testing.T) {
	t.Parallel()
	hooks := newRecorder()
	e := setup(t, awssim.Options{Hooks: hooks, Unjoinable: []awssim.Unjoinable{{InstanceType: "c5.large", Count: 5}}}, 1)
	unjoinable := runInstances(t, e, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeC5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	joinable := launch(t, e, 1, "m5")[0]
	hooks.expect(t, "running "+joinable)
	terminate(t, e, unjoinable[0])
	hooks.expect(t, "terminated "+unjoinable[0])
	var state awssim.AdminState
	admin(t, e, http.MethodGet, "/admin/state", "", &state)
	if !equal(state.Unjoinable, []awssim.Unjoinable{{InstanceType: "c5.large", Count: 4}}) {
		t.Errorf("unjoinable = %+v, want 4 c5.large launches left", state.Unjoinable)
	}
	e.sim.SetUnjoinable("c5.large", 0)
	joined := runInstances(t, e, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeC5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	hooks.expect(t, "running "+joined[0])
}
