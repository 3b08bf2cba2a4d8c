package cli

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// spotPool is a NodePool of spot m5 nodes.
var spotPool = strings.Replace(generalPool, "values: [on-demand]", "values: [spot]", 1)

// spotNode is a spot node of pool general in zone.
func spotNode(name, instanceType, zone string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
  creationTimestamp: "2026-11-26T08:00:00Z"
  labels: {kubernetes.io/hostname: %s, stevedore.dev/nodepool: general, node.kubernetes.io/instance-type: %s,
    topology.kubernetes.io/zone: %s, stevedore.dev/capacity-type: spot, stevedore.dev/initialized: "true"}
`, name, name, instanceType, zone)
}

// spotFleet has two spot nodes, each running a small pod.
func spotFleet(t *testing.T) string {
	return writeManifests(t, map[string]string{
		"pool.yaml": spotPool,
		"nodes.yaml": strings.Join([]string{
			spotNode("spot-a", "m5.2xlarge", "us-east-1a"), appPod("a1", "spot-a", "web", "500m", started, "", ""),
			spotNode("spot-b", "m5.xlarge", "us-east-1b"), appPod("b1", "spot-b", "web", "500m", started, "", ""),
		}, "---\n"),
	})
}

// awsEnv gives the SDK credentials and nothing else from the machine, as a user of the sandbox would.
func awsEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDPLANTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_EC2", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

// spotTolerance allows for the simulator's spot model moving between the history point the plan read and the
// instant the test asks for: a few percent, far from the $0 an unpriced node shows.
const spotTolerance = 0.05

// TestPlanAWSPricesPricesSpotNodes: with --aws-prices, spot nodes cost what EC2 (here the simulator) says now.
func TestPlanAWSPricesPricesSpotNodes(t *testing.T) {
	awsEnv(t)
	sim := awssim.New(awssim.Options{Seed: 11})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := spotFleet(t)

	r, stderr := consolidateJSON(t, "-f", dir, "--aws-prices", "--aws-endpoint-url", url)
	if strings.Contains(stderr, "unpriced") {
		t.Errorf("stderr warns about unpriced spot with --aws-prices:\n%s", stderr)
	}
	now := time.Now()
	want := map[string]float64{}
	for _, n := range []struct{ name, instanceType, zone string }{{"spot-a", "m5.2xlarge", "us-east-1a"}, {"spot-b", "m5.xlarge", "us-east-1b"}} {
		p, ok := sim.SpotPrice(n.instanceType, n.zone, now)
		if !ok || p <= 0 {
			t.Fatalf("the simulator has no spot price for %s in %s", n.instanceType, n.zone)
		}
		want[n.name] = p
		if got := nodeByName(t, r, n.name).PricePerHour; math.Abs(got-p) > spotTolerance*p {
			t.Errorf("node %s costs $%.4f/h, want the simulator's spot price $%.4f/h", n.name, got, p)
		}
	}
	if total := want["spot-a"] + want["spot-b"]; math.Abs(r.Summary.PricePerHour-total) > spotTolerance*total {
		t.Errorf("summary price $%.4f/h, want $%.4f/h", r.Summary.PricePerHour, total)
	}

	code, stdout, stderr := execute(t, "plan", "--consolidate", "-f", dir, "--aws-prices", "--aws-endpoint-url", url)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// The table shows each spot node with the price the JSON gave it, whether it is kept or removed.
	for _, name := range []string{"spot-a", "spot-b"} {
		price := fmt.Sprintf("%.4f", nodeByName(t, r, name).PricePerHour)
		if !hasLineWith(stdout, name, price) {
			t.Errorf("no table line shows %s at %s $/h; table:\n%s", name, price, stdout)
		}
	}
}

// hasLineWith says whether a line of s holds every one of words.
func hasLineWith(s string, words ...string) bool {
	for line := range strings.Lines(s) {
		if allIn(line, words) {
			return true
		}
	}
	return false
}

func allIn(line string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(line, w) {
			return false
		}
	}
	return true
}

// TestPlanSpotUnpricedOffline: without --aws-prices spot nodes count as free, and the plan says how to price them.
func TestPlanSpotUnpricedOffline(t *testing.T) {
	dir := spotFleet(t)
	r, stderr := consolidateJSON(t, "-f", dir)
	assertContains(t, "stderr", stderr, []string{"spot nodes are unpriced offline", "pass --aws-prices"})
	if p := nodeByName(t, r, "spot-a").PricePerHour; p != 0 {
		t.Errorf("spot-a costs $%v/h offline, want unpriced (0)", p)
	}
	code, stdout, _ := execute(t, "plan", "--help")
	if code != ExitOK {
		t.Fatalf("plan --help: exit %d", code)
	}
	assertContains(t, "help", stdout, []string{"Offline, spot has no price", "--aws-prices", "ec2:DescribeSpotPriceHistory", "--aws-endpoint-url"})

	// On-demand nodes need no spot prices, so no warning.
	_, stderr = consolidateJSON(t, "-f", writeManifests(t, fleet()), "--now", judged)
	if strings.Contains(stderr, "unpriced") {
		t.Errorf("stderr warns about unpriced spot with no spot nodes:\n%s", stderr)
	}
}

// TestPlanAWSPricesErrors: an EC2 that refuses the call fails the command, naming --aws-prices and the cause.
func TestPlanAWSPricesErrors(t *testing.T) {
	awsEnv(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>r1</RequestID></Response>`)
	}))
	t.Cleanup(refusing.Close)
	code, stdout, stderr := execute(t, "plan", "--consolidate", "-f", spotFleet(t), "--aws-prices", "--aws-endpoint-url", refusing.URL)
	if code != ExitFailure || stdout != "" {
		t.Errorf("exit %d, stdout %q; want %d and nothing printed", code, stdout, ExitFailure)
	}
	assertContains(t, "stderr", stderr, []string{"--aws-prices: reading spot prices of us-east-1", "credentials", "AuthFailure"})
}

func TestPlanAWSPricesFlagErrors(t *testing.T) {
	dir := writeManifests(t, fleet())
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "--aws-endpoint-url without --aws-prices", args: []string{"-f", dir, "--aws-endpoint-url", "http://127.0.0.1:4566"},
			want: []string{"--aws-endpoint-url applies only to --aws-prices: add --aws-prices"}},
		{name: "relative URL", args: []string{"-f", dir, "--aws-prices", "--aws-endpoint-url", "127.0.0.1:4566"},
			want: []string{`--aws-endpoint-url "127.0.0.1:4566" is not an absolute http(s) URL`}},
		{name: "other scheme", args: []string{"-f", dir, "--aws-prices", "--aws-endpoint-url", "ftp://sim"},
			want: []string{`--aws-endpoint-url "ftp://sim" is not an absolute http(s) URL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := execute(t, append([]string{"plan", "--consolidate"}, tt.args...)...)
			if code != ExitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing printed", code, stdout, ExitUsage)
			}
			assertContains(t, "stderr", stderr, tt.want)
		})
	}
}
