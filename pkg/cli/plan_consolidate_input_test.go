package cli

import (
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

func TestPlanConsolidateNodesItDoesNotJudge(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"nodes.yaml": strings.Join([]string{
			// No NodePool in the input, so the built-in pool "default" is used.
			strings.ReplaceAll(poolNode("mine", "m5.large", "true"), "nodepool: general", "nodepool: default"),
			strings.ReplaceAll(poolNode("ghost", "m5.large", "true"), "nodepool: general", "nodepool: ghost"),
			node("typeless", ", stevedore.dev/nodepool: default", "{allocatable: {cpu: '2', memory: 8Gi, pods: '29'}}"),
			strings.ReplaceAll(strings.ReplaceAll(poolNode("leaving", "m5.large", "true"), "nodepool: general", "nodepool: default"), "labels:", "deletionTimestamp: \"2026-11-26T11:00:00Z\"\n  finalizers: [x]\n  labels:"),
			appPod("m1", "mine", "web", "1", started, "", ""),
		}, "---\n"),
		"service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
	})
	code, stdout, stderr := execute(t, "plan", "--consolidate", "-f", dir, "--now", judged)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	assertContains(t, "stdout", stdout, []string{
		`No NodePool in the input: judging with the built-in NodePool "default"`,
		"ghost: its NodePool ghost is not in the input; add the NodePool to judge it",
		"typeless: it has no node.kubernetes.io/instance-type label, so its price is unknown",
		"leaving: it is being deleted, or carries the stevedore.dev/disrupted taint",
		// The node being deleted uses up the built-in pool's budget of 10% (rounded up to 1 node).
		"mine: NodePool default: the default budget", "allows 1 node disrupted at once and 1 already is",
		"Ignored 1 object of kinds plan does not read: ", "service.yaml:", "Service/web",
		"ghost      ghost     m5.large       0.0000    0     NotManaged",
		"Stevedore's 1 node cost $0.0960/hour now",
	})
	r, _ := consolidateJSON(t, "-f", dir, "--now", judged)
	for name, want := range map[string]string{"ghost": reasonNotManaged, "typeless": reasonNotManaged, "leaving": reasonDisrupting} {
		if n := nodeByName(t, r, name); n.Reason != want || n.Candidate || n.Action != "keep" {
			t.Errorf("node %s %+v, want a kept non-candidate with reason %s", name, n, want)
		}
	}
	if mine := nodeByName(t, r, "mine"); !mine.Candidate || mine.Reason != disruption.ReasonBudgetExhausted || mine.NodePool != "default" || mine.SavingsBlockedPerHour != 0.096 {
		t.Errorf("node mine %+v, want a candidate of the built-in pool held back by its budget", mine)
	}
}

func TestPlanConsolidateFlagErrors(t *testing.T) {
	dir := writeManifests(t, fleet())
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "neither -f nor --kubeconfig", args: []string{"--consolidate"}, want: []string{"-f/--filename or --kubeconfig is required"}},
		{name: "both -f and --kubeconfig", args: []string{"--consolidate", "-f", dir, "--kubeconfig", "kubeconfig"},
			want: []string{"-f/--filename and --kubeconfig exclude each other", "drop the other flag"}},
		{name: "bad --now", args: []string{"--consolidate", "-f", dir, "--now", "noon"},
			want: []string{`--now "noon" is not an RFC 3339 time`, "2026-11-26T12:00:00Z"}},
		{name: "--now without --consolidate", args: []string{"-f", dir, "--now", judged}, want: []string{"--now applies only to --consolidate: add --consolidate"}},
		{name: "--spot-to-spot without --consolidate", args: []string{"-f", dir, "--spot-to-spot"}, want: []string{"--spot-to-spot applies only to --consolidate"}},
		{name: "--context without --kubeconfig", args: []string{"-f", dir, "--context", "prod"}, want: []string{"--context selects a context of --kubeconfig"}},
		{name: "missing kubeconfig", args: []string{"--consolidate", "--kubeconfig", dir + "/nope"}, want: []string{"--kubeconfig " + dir + "/nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := execute(t, append([]string{"plan"}, tt.args...)...)
			if code != ExitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing printed", code, stdout, ExitUsage)
			}
			assertContains(t, "stderr", stderr, tt.want)
		})
	}
}

// TestPlanConsolidateLaterPass: a budget of one node lets one of two underutilized nodes go; the other would go in
// a later pass (if it still can), and the table says why it waits.
func TestPlanConsolidateLaterPass(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"pool.yaml": strings.Replace(generalPool, `nodes: "100%"`, `nodes: "1"`, 1),
		"nodes.yaml": strings.Join([]string{
			poolNode("under-a", "m5.2xlarge", "true"), appPod("a1", "under-a", "web", "2500m", started, "", ""),
			poolNode("under-b", "m5.2xlarge", "true"), appPod("b1", "under-b", "web", "2500m", started, "", ""),
		}, "---\n"),
	})
	code, stdout, stderr := execute(t, "plan", "--consolidate", "-f", dir, "--now", judged)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	assertContains(t, "stdout", stdout, []string{
		// Each fits on the other, so either alone could go.
		"1. SingleNodeConsolidation: delete 1 node",
		"   > onto under-b  1 pod",
		"under-b    general   m5.2xlarge     0.3840    1     Delete",
		"under-b: not this pass, since each method runs one command; judged alone, SingleNodeConsolidation would delete it",
	})
	r, _ := consolidateJSON(t, "-f", dir, "--now", judged)
	if b := nodeByName(t, r, "under-b"); !b.Consolidatable || b.Action != "keep" || b.Reason != disruption.ReasonDelete {
		t.Errorf("node under-b %+v, want kept but consolidatable", b)
	}
}

// TestPlanKubeconfigUnreachable: a cluster that cannot be read is a failure (exit 1) that says what was being
// read, not a usage error.
func TestPlanKubeconfigUnreachable(t *testing.T) {
	dir := writeManifests(t, map[string]string{"kubeconfig": `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: dead, context: {cluster: c, user: u}}]
current-context: dead
`})
	code, stdout, stderr := execute(t, "plan", "--consolidate", "--kubeconfig", dir+"/kubeconfig", "--context", "dead")
	if code != ExitFailure || stdout != "" {
		t.Errorf("exit %d, stdout %q; want %d and nothing printed", code, stdout, ExitFailure)
	}
	assertContains(t, "stderr", stderr, []string{"listing Nodes: ", "127.0.0.1:1"})

	code, _, stderr = execute(t, "plan", "--consolidate", "--kubeconfig", dir+"/kubeconfig", "--context", "nope")
	if code != ExitUsage {
		t.Errorf("exit %d for an unknown context, want %d", code, ExitUsage)
	}
	assertContains(t, "stderr", stderr, []string{"--kubeconfig " + dir + "/kubeconfig", `"nope"`})
}
