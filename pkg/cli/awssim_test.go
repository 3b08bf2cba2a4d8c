package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

func TestAWSSimFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"non-loopback address", []string{"--listen", "0.0.0.0:4566"}, "--allow-remote"},
		{"host name", []string{"--listen", "example.com:4566"}, "not a loopback address"},
		{"no port", []string{"--listen", "127.0.0.1"}, "want host:port"},
		{"bad port", []string{"--listen", "127.0.0.1:99999"}, "not a number from 0 to 65535"},
		{"bad region", []string{"--region", "mars"}, "not a region name"},
		{"empty cluster name", []string{"--cluster-name", ""}, "--cluster-name must not be empty"},
		{"bad seed", []string{"--seed", "lots"}, "invalid argument"},
		{"positional argument", []string{"now"}, "takes no arguments"},
		{"negative boot delay", []string{"--boot-delay", "-1s"}, "--boot-delay -1s is negative; use 0s"},
		{"negative shutdown delay", []string{"--shutdown-delay", "-2m"}, "--shutdown-delay -2m0s is negative"},
		{"negative latency", []string{"--latency", "-5ms"}, "--latency -5ms is negative"},
		{"latency without a unit", []string{"--latency", "250"}, "missing unit"},
		{"negative throttling", []string{"--throttle-every", "-3"}, "--throttle-every -3 is negative; use 0"},
		{"relative hook URL", []string{"--hook-url", "/instances"}, "--hook-url \"/instances\" is not an absolute http or https URL"},
		{"hook URL scheme", []string{"--hook-url", "ftp://127.0.0.1/x"}, "--hook-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := execute(t, append([]string{"awssim"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and an error mentioning %q", code, stdout, stderr, ExitUsage, tc.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that the command writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAWSSimServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"awssim", "--region", "eu-west-1", "--cluster-name", "demo", "--seed", "7"}, &stdout, &stderr)
	}()

	endpoint := regexp.MustCompile(`AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+) `)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if m := endpoint.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no endpoint printed; stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "ec2 describe-instances") {
		t.Errorf("stdout %q does not explain how to use the endpoint", stdout.String())
	}

	client := ec2.New(ec2.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "secret", ""),
	})
	zones, err := client.DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil || len(zones.AvailabilityZones) != 3 || aws.ToString(zones.AvailabilityZones[0].ZoneName) != "eu-west-1a" {
		t.Fatalf("DescribeAvailabilityZones = %+v, %v; want eu-west-1a, b and c", zones, err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/admin/state", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var state struct{ Region, ClusterName string }
	err = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	if err != nil || state.Region != "eu-west-1" || state.ClusterName != "demo" {
		t.Errorf("admin state = %+v, %v; want region eu-west-1 and cluster demo", state, err)
	}

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d after cancelling, want %d; stderr %q", code, ExitOK, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still serving 10s after the context was cancelled")
	}
}

// startAWSSim runs `stevedore awssim args...` until the test ends and returns the endpoint it prints.
func startAWSSim(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Execute(ctx, append([]string{"awssim"}, args...), &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != ExitOK {
			t.Errorf("exit %d after cancelling, want %d; stderr %q", code, ExitOK, stderr.String())
		}
	})
	endpoint := regexp.MustCompile(`AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+) `)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := endpoint.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no endpoint printed; stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
}

func TestAWSSimHookURL(t *testing.T) {
	events := make(chan awssim.HTTPHookEvent, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var ev awssim.HTTPHookEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("hook body: %v", err)
		}
		events <- ev
	}))
	defer receiver.Close()
	// The instance boots in the background: only the command's settle loop can see it reach running, since no
	// request arrives after the launch.
	url := startAWSSim(t, "--boot-delay", "20ms", "--shutdown-delay", "0s", "--throttle-every", "0", "--hook-url", receiver.URL)
	client := ec2.New(ec2.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "secret", ""),
	})
	out, err := client.RunInstances(t.Context(), &ec2.RunInstancesInput{
		InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	if out.Instances[0].State.Name != types.InstanceStateNamePending {
		t.Errorf("instance is %s right after launch, want pending with --boot-delay", out.Instances[0].State.Name)
	}
	select {
	case ev := <-events:
		if ev.Event != awssim.EventRunning || ev.Instance.ID != id || ev.Instance.InstanceType != "m5.large" {
			t.Errorf("hook posted %+v, want %s running", ev, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no running event posted for an instance booting in the background")
	}
}

func TestAWSSimLatencyAndThrottleFlags(t *testing.T) {
	url := startAWSSim(t, "--latency", "1h", "--throttle-every", "3")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/admin/state", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var state awssim.AdminState
	err = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	if err != nil || state.Latency != "1h0m0s" || state.ThrottleEveryNth != 3 {
		t.Errorf("admin state = latency %q, throttling every %d, %v; want 1h0m0s and 3", state.Latency, state.ThrottleEveryNth, err)
	}
}
