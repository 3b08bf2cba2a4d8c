package awssim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/go-logr/logr/funcr"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// recorder is a Hooks that sends "running <id>" and "terminated <id>" down a channel, in the order it is told.
type recorder struct {
	events    chan string
	mu        sync.Mutex
	instances map[string]awssim.Instance
}

func newRecorder() *recorder {
	return &recorder{events: make(chan string, 100), instances: map[string]awssim.Instance{}}
}

func (r *recorder) InstanceRunning(in awssim.Instance)    { r.record("running", in) }
func (r *recorder) InstanceTerminated(in awssim.Instance) { r.record("terminated", in) }

func (r *recorder) record(event string, in awssim.Instance) {
	r.mu.Lock()
	r.instances[in.ID] = in
	r.mu.Unlock()
	r.events <- event + " " + in.ID
}

// expect fails unless the next events are want, in order. Hooks are delivered by another goroutine, so it
// waits for them; the generous limit only turns a missing event into a failure instead of a hung test.
func (r *recorder) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-r.events:
			if got != w {
				t.Fatalf("hook event %q, want %q", got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no hook event; want %q", w)
		}
	}
}

// terminate terminates instances through the API.
func terminate(t *testing.T, e env, ids ...string) {
	t.Helper()
	if _, err := e.client.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
}

func TestHooksFireOncePerTransitionInOrder(t *testing.T) {
	t.Parallel()
	hooks := newRecorder()
	e := setup(t, awssim.Options{Hooks: hooks, BootDelay: 30 * time.Second, ShutdownDelay: 20 * time.Second}, 1)
	ids := launch(t, e, 2, "hooked")
	e.sim.Settle()
	e.clock.Advance(30 * time.Second)
	// No request arrives: Settle alone makes the instances run and announce it.
	e.sim.Settle()
	hooks.expect(t, "running "+ids[0], "running "+ids[1])
	e.sim.Settle()
	states(t, e)
	terminate(t, e, ids[0])
	e.clock.Advance(20 * time.Second)
	e.sim.Settle()
	states(t, e)
	// Each instance announced each transition once: the next event is the second instance's termination.
	terminate(t, e, ids[1])
	e.clock.Advance(20 * time.Second)
	states(t, e)
	hooks.expect(t, "terminated "+ids[0], "terminated "+ids[1])

	in := hooks.instances[ids[0]]
	out, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: ids[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if in.InstanceType != "m5.large" || in.Zone != "us-east-1a" || in.CapacityType != "on-demand" || in.ImageID == "" ||
		in.SubnetID != aws.ToString(subnets(t, e)["us-east-1a"].SubnetId) || in.Tags["stevedore.dev/nodeclaim"] != "hooked" ||
		!in.LaunchTime.Equal(newClock().Now()) || !strings.HasSuffix(in.PrivateDNSName, ".ec2.internal") ||
		!strings.Contains(in.PrivateDNSName, strings.ReplaceAll(in.PrivateIP, ".", "-")) {
		t.Errorf("hook instance = %+v", in)
	}
	if got := aws.ToString(out.Reservations[0].Instances[0].ImageId); got != in.ImageID {
		t.Errorf("hook image %q, DescribeInstances image %q", in.ImageID, got)
	}
}

func TestHooksInstanceTerminatedBeforeRunning(t *testing.T) {
	t.Parallel()
	hooks := newRecorder()
	e := setup(t, awssim.Options{Hooks: hooks, BootDelay: time.Minute, ShutdownDelay: 10 * time.Second}, 1)
	doomed := launch(t, e, 1, "doomed")[0]
	e.clock.Advance(10 * time.Second)
	terminate(t, e, doomed)
	e.clock.Advance(time.Hour)
	e.sim.Settle()
	hooks.expect(t, "terminated "+doomed)

	// An instance that both ran and terminated between two requests announces both, in order.
	brief := launch(t, e, 1, "brief")[0]
	e.clock.Advance(time.Minute)
	terminate(t, e, brief)
	e.clock.Advance(time.Minute)
	e.sim.Settle()
	hooks.expect(t, "running "+brief, "terminated "+brief)
}

func TestRunSettlesWithoutRequests(t *testing.T) {
	t.Parallel()
	hooks := newRecorder()
	e := setup(t, awssim.Options{Hooks: hooks, BootDelay: time.Minute, SettleInterval: time.Millisecond}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.sim.Run(ctx) }()
	id := launch(t, e, 1, "background")[0]
	e.clock.Advance(time.Minute)
	hooks.expect(t, "running "+id)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancelling, want nil", err)
	}
}

func TestHTTPHookPostsEvents(t *testing.T) {
	t.Parallel()
	// The receiver reads the wire format on its own terms, so a renamed field fails the test.
	type posted struct {
		Event    string `json:"event"`
		Instance struct {
			ID             string            `json:"id"`
			InstanceType   string            `json:"instanceType"`
			Zone           string            `json:"zone"`
			PrivateDNSName string            `json:"privateDnsName"`
			LaunchTime     time.Time         `json:"launchTime"`
			Tags           map[string]string `json:"tags"`
		} `json:"instance"`
	}
	bodies := make(chan posted, 10)
	var mu sync.Mutex
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			// The first attempt fails, so the event is only delivered by a retry.
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var ev posted
		if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &ev) != nil {
			t.Errorf("hook post %s %q is not JSON", r.Header.Get("Content-Type"), raw)
		}
		bodies <- ev
	}))
	t.Cleanup(receiver.Close)
	hook := &awssim.HTTPHook{URL: receiver.URL, Backoff: time.Millisecond}
	e := setup(t, awssim.Options{Hooks: hook}, 1)
	id := launch(t, e, 1, "posted")[0]
	terminate(t, e, id)
	for _, want := range []string{awssim.EventRunning, awssim.EventTerminated} {
		select {
		case ev := <-bodies:
			if ev.Event != want || ev.Instance.ID != id || ev.Instance.InstanceType != "m5.large" || ev.Instance.Zone != "us-east-1a" ||
				ev.Instance.Tags["stevedore.dev/nodeclaim"] != "posted" || !strings.HasPrefix(ev.Instance.PrivateDNSName, "ip-10-0-") ||
				!ev.Instance.LaunchTime.Equal(newClock().Now()) {
				t.Errorf("posted %+v, want a %s event for %s", ev, want, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s event posted", want)
		}
	}
}

func TestHTTPHookDropsAfterAttempts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(receiver.Close)
	logs := make(chan string, 10)
	hook := &awssim.HTTPHook{URL: receiver.URL, Attempts: 3, Backoff: time.Millisecond,
		Log: funcr.New(func(prefix, args string) { logs <- args }, funcr.Options{})}
	hook.InstanceRunning(awssim.Instance{ID: "i-0123456789abcdef0"})
	select {
	case line := <-logs:
		if !strings.Contains(line, "Dropping hook event") || !strings.Contains(line, "i-0123456789abcdef0") ||
			!strings.Contains(line, "500") {
			t.Errorf("log %q; want the dropped event, its instance and the last error", line)
		}
	default:
		t.Fatal("nothing logged after the receiver refused every attempt")
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 {
		t.Errorf("receiver called %d times, want 3 attempts", calls)
	}
}
