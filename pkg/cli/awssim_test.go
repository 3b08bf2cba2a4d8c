package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
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
