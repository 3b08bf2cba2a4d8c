package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

// generalPool is a NodePool of on-demand m5 nodes whose budget lets every node go at once, so that the
// budget does not hide the other rules.
const generalPool = `apiVersion: stevedore.dev/v1
kind: NodePool
metadata: {name: general}
spec:
  template:
    spec:
      nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: default}
      requirements:
      - {key: stevedore.dev/capacity-type, operator: In, values: [on-demand]}
      - {key: aws.stevedore.dev/instance-family, operator: In, values: [m5]}
  disruption:
    consolidateAfter: 30s
    budgets: [{nodes: "100%"}]
`

// poolNode is an on-demand node of pool general in us-east-1a, labelled stevedore.dev/initialized=initialized.
func poolNode(name, instanceType, initialized string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
  creationTimestamp: "2026-11-26T08:00:00Z"
  labels: {kubernetes.io/hostname: %s, stevedore.dev/nodepool: general, node.kubernetes.io/instance-type: %s,
    topology.kubernetes.io/zone: us-east-1a, stevedore.dev/capacity-type: on-demand, stevedore.dev/initialized: "%s"}
`, name, name, instanceType, initialized)
}

// appPod is a running pod of app on node requesting cpu and 1Gi, started at started; extra adds to the spec.
func appPod(name, node, app, cpu, started, annotations, extra string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, labels: {app: %s}, annotations: {%s}}
spec:
  nodeName: %s
  containers: [{name: c, image: i, resources: {requests: {cpu: %s, memory: 1Gi}}}]
  %s
status: {phase: Running, startTime: "%s"}
`, name, app, annotations, node, cpu, extra, started)
}

const (
	started = "2026-11-26T09:00:00Z"
	judged  = "2026-11-26T12:00:00Z"
)

// fleet is a pool with one node of each kind the brief names: empty, underutilized, busy (its pods pinned to
// it), one running a do-not-disrupt pod, one guarded by a PodDisruptionBudget that allows nothing, and a node
// Stevedore does not manage.
func fleet() map[string]string {
	return map[string]string{
		"pool.yaml": generalPool,
		"nodes.yaml": strings.Join([]string{
			poolNode("empty", "m5.large", "true"),
			poolNode("under", "m5.2xlarge", "true"),
			poolNode("busy", "m5.large", "true"),
			poolNode("dnd", "m5.large", "true"),
			poolNode("guarded", "m5.large", "true"),
			node("other", ", node.kubernetes.io/instance-type: m5.large", ""),
		}, "---\n"),
		"pods.yaml": strings.Join([]string{
			appPod("u1", "under", "web", "2500m", started, "", ""),
			appPod("b1", "busy", "cache", "800m", started, "", "nodeSelector: {kubernetes.io/hostname: busy}"),
			appPod("b2", "busy", "cache", "800m", started, "", "nodeSelector: {kubernetes.io/hostname: busy}"),
			appPod("d1", "dnd", "batch", "1500m", started, "stevedore.dev/do-not-disrupt: 'true'", ""),
			appPod("g1", "guarded", "db", "1500m", started, "", ""),
		}, "---\n"),
		"pdb.yaml": "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: db}\nspec: {minAvailable: 1, selector: {matchLabels: {app: db}}}\n",
	}
}

// consolidateJSON runs `stevedore plan --consolidate -o json` with args and decodes the report strictly.
func consolidateJSON(t *testing.T, args ...string) (consolidateReport, string) {
	t.Helper()
	code, stdout, stderr := execute(t, append([]string{"plan", "--consolidate", "-o", "json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var r consolidateReport
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		t.Fatalf("invalid JSON %q: %v", stdout, err)
	}
	return r, stderr
}

func nodeByName(t *testing.T, r consolidateReport, name string) consolidateNode {
	t.Helper()
	i := slices.IndexFunc(r.Nodes, func(n consolidateNode) bool { return n.Name == name })
	if i < 0 {
		t.Fatalf("node %s not in the report: %+v", name, r.Nodes)
	}
	return r.Nodes[i]
}

func TestPlanConsolidateTable(t *testing.T) {
	dir := writeManifests(t, fleet())
	code, stdout, stderr := execute(t, "plan", "--consolidate", "-f", dir, "--now", judged)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	assertContains(t, "stdout", stdout, []string{
		"Disruption at 2026-11-26T12:00:00Z: 2 commands.",
		"1. Emptiness: delete 1 node, saving $0.0960/h; 0 pods move",
		"   - empty  ",
		"2. SingleNodeConsolidation: replace 1 node, saving $0.1920/h; 1 pod moves",
		"   - under ", "m5.2xlarge", "$0.3840/h",
		"   + new general node  m5.xlarge   us-east-1a  on-demand  $0.1920/h  1 pod",
		"KEPT NODE  NODEPOOL  INSTANCE TYPE  USD/HOUR  PODS  REASON           HELD BACK USD/HOUR",
		"busy       general   m5.large       0.0960    2     PodsWouldNotFit  0.0000",
		"dnd        general   m5.large       0.0960    1     DoNotDisrupt     0.0960",
		"guarded    general   m5.large       0.0960    1     PDBBlocked       0.0960",
		"other      -         m5.large       0.0000    0     NotManaged       0.0000",
		"busy: pod default/b1 would fit on no other node and no new one",
		"dnd: pod default/d1 is annotated stevedore.dev/do-not-disrupt=true",
		"guarded: PodDisruptionBudget default/db allows no disruption now (1 of 1 pods healthy, 1 desired)",
		"other: it has no stevedore.dev/nodepool label",
		"Stevedore's 5 nodes cost $0.7680/hour now and $0.4800/hour after these commands: 2 removed, 1 launched, 1 pod moved,",
		"saving $0.2880/h.",
		"Rules that keep nodes hold back $0.1920/hour",
	})
	if strings.Contains(stdout, "KEPT NODE") && strings.Contains(stdout[strings.Index(stdout, "KEPT NODE"):], "\nempty ") {
		t.Errorf("the deleted node is listed as kept:\n%s", stdout)
	}
}

func TestPlanConsolidateJSON(t *testing.T) {
	dir := writeManifests(t, fleet())
	r, _ := consolidateJSON(t, "-f", dir, "--now", judged)

	if len(r.Commands) != 2 || r.Commands[0].Method != string(disruption.MethodEmptiness) || r.Commands[1].Method != string(disruption.MethodSingleNode) {
		t.Fatalf("commands %+v, want emptiness then single-node", r.Commands)
	}
	replace := r.Commands[1]
	if replace.Action != "replace" || len(replace.Candidates) != 1 || replace.Candidates[0].Name != "under" || len(replace.Replacements) != 1 ||
		replace.Replacements[0].InstanceType != "m5.xlarge" || !slices.Equal(replace.Replacements[0].Pods, []string{"default/u1"}) || replace.PodsMoved != 1 {
		t.Errorf("second command %+v, want under replaced by an m5.xlarge holding u1", replace)
	}
	for name, want := range map[string]string{
		"empty": disruption.ReasonDelete, "under": disruption.ReasonReplace, "busy": disruption.ReasonPodsWouldNotFit,
		"dnd": disruption.ReasonDoNotDisrupt, "guarded": disruption.ReasonPDBBlocked, "other": reasonNotManaged,
	} {
		if n := nodeByName(t, r, name); n.Reason != want || n.Message == "" {
			t.Errorf("node %s: reason %q message %q, want reason %s and a message", name, n.Reason, n.Message, want)
		}
	}
	if n := nodeByName(t, r, "other"); n.Candidate || n.Action != "keep" {
		t.Errorf("unmanaged node %+v, want a kept non-candidate", n)
	}

	// The totals add up: before is what the candidates cost, after takes off each command's savings, and what
	// the rules hold back is the kept nodes' sum.
	const cent = 1e-6
	before, saved, blocked, removed := 0.0, 0.0, 0.0, 0
	for _, n := range r.Nodes {
		if n.Candidate {
			before += n.PricePerHour
		}
		if n.Action == "keep" {
			blocked += n.SavingsBlockedPerHour
		} else {
			removed++
		}
	}
	for _, c := range r.Commands {
		saved += c.SavingsPerHour
		if math.Abs(c.PricePerHour-c.ReplacementPricePerHour-c.SavingsPerHour) > cent {
			t.Errorf("command %s: price %v - replacements %v != savings %v", c.Method, c.PricePerHour, c.ReplacementPricePerHour, c.SavingsPerHour)
		}
	}
	s := r.Summary
	if math.Abs(s.PricePerHour-before) > cent || math.Abs(s.SavingsPerHour-saved) > cent || math.Abs(s.PricePerHourAfter-(before-saved)) > cent ||
		math.Abs(s.SavingsBlockedPerHour-blocked) > cent || s.NodesRemoved != removed || s.Nodes != 6 || s.Candidates != 5 || s.NodesLaunched != 1 {
		t.Errorf("summary %+v; from the nodes and commands: before %v, saved %v, blocked %v, removed %d", s, before, saved, blocked, removed)
	}
	if math.Abs(s.PricePerHour-0.768) > cent || math.Abs(s.PricePerHourAfter-0.48) > cent || math.Abs(s.SavingsBlockedPerHour-0.192) > cent {
		t.Errorf("summary %+v, want $0.768/h before, $0.48/h after, $0.192/h held back", s)
	}
}

func TestPlanConsolidateJSONShape(t *testing.T) {
	dir := writeManifests(t, fleet())
	code, stdout, stderr := execute(t, "plan", "--consolidate", "-f", dir, "--now", judged, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, stdout)
	}
	if want := []string{"commands", "ignored", "nodes", "now", "summary"}; !slices.Equal(keys(got), want) {
		t.Errorf("top-level fields %q, want %q", keys(got), want)
	}
	cmds, _ := got["commands"].([]any)
	if len(cmds) == 0 {
		t.Fatalf("no commands in %s", stdout)
	}
	cmd, _ := cmds[0].(map[string]any)
	want := []string{"action", "candidates", "description", "method", "placements", "podsMoved", "pricePerHour", "replacementPricePerHour", "replacements", "savingsPerHour"}
	if !slices.Equal(keys(cmd), want) {
		t.Errorf("command fields %q, want %q", keys(cmd), want)
	}
	nodes, _ := got["nodes"].([]any)
	n, _ := nodes[0].(map[string]any)
	want = []string{"action", "candidate", "capacityType", "consolidatable", "instanceType", "message", "method", "name", "nodeClaim", "nodePool",
		"pods", "pricePerHour", "reason", "savingsBlockedPerHour", "zone"}
	if !slices.Equal(keys(n), want) {
		t.Errorf("node fields %q, want %q", keys(n), want)
	}
	summary, _ := got["summary"].(map[string]any)
	want = []string{"candidates", "nodes", "nodesLaunched", "nodesRemoved", "podsMoved", "pricePerHour", "pricePerHourAfter", "savingsBlockedPerHour", "savingsPerHour"}
	if !slices.Equal(keys(summary), want) {
		t.Errorf("summary fields %q, want %q", keys(summary), want)
	}
}

// TestPlanConsolidateNow shows --now answering "what happens once consolidateAfter has passed". Node roomy
// runs a do-not-disrupt pod, so it stays and has room for fresh's pod.
func TestPlanConsolidateNow(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"pool.yaml": generalPool,
		"nodes.yaml": poolNode("roomy", "m5.2xlarge", "true") + "---\n" + poolNode("fresh", "m5.xlarge", "true") + "---\n" +
			appPod("r1", "roomy", "web", "4", started, "stevedore.dev/do-not-disrupt: 'true'", "") + "---\n" + appPod("f1", "fresh", "web", "500m", "2026-11-26T11:59:50Z", "", ""),
	})
	r, _ := consolidateJSON(t, "-f", dir, "--now", judged)
	fresh := nodeByName(t, r, "fresh")
	if fresh.Reason != disruption.ReasonConsolidateAfterNotElapsed || !strings.Contains(fresh.Message, "until 2026-11-26T12:00:20Z") || fresh.Action != "keep" {
		t.Errorf("node fresh %+v, want kept until consolidateAfter passes at 12:00:20", fresh)
	}
	r, _ = consolidateJSON(t, "-f", dir, "--now", "2026-11-26T12:00:20Z")
	if fresh := nodeByName(t, r, "fresh"); fresh.Action != "delete" || fresh.Method != string(disruption.MethodSingleNode) {
		t.Errorf("at 12:00:20 node fresh %+v, want deleted by single-node consolidation, its pod moving to roomy", fresh)
	}
}

func TestPlanConsolidateNotInitializedAndDrift(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"pool.yaml": generalPool,
		"nodes.yaml": strings.Join([]string{
			poolNode("joining", "m5.large", "false"),
			poolNode("old", "m5.large", "true"),
			appPod("o1", "old", "web", "1500m", started, "", ""),
			appPod("j1", "joining", "web", "1", started, "", ""),
		}, "---\n"),
		"claims.yaml": `apiVersion: stevedore.dev/v1
kind: NodeClaim
metadata: {name: general-abc12, creationTimestamp: "2026-11-26T08:00:00Z"}
spec:
  nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: default}
  requirements: []
status:
  nodeName: old
  conditions: [{type: Drifted, status: "True", reason: NodePoolDrifted, message: changed, lastTransitionTime: "2026-11-26T10:00:00Z"}]
---
apiVersion: stevedore.dev/v1
kind: NodeClaim
metadata: {name: general-gone1}
spec:
  nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: default}
  requirements: []
status: {nodeName: vanished}
`,
	})
	r, stderr := consolidateJSON(t, "-f", dir, "--now", judged)
	if joining := nodeByName(t, r, "joining"); joining.Reason != disruption.ReasonNotInitialized || !strings.Contains(joining.Message, "stevedore.dev/initialized=true") {
		t.Errorf("node joining %+v, want NotInitialized naming the label", joining)
	}
	if len(r.Commands) == 0 || r.Commands[0].Method != string(disruption.MethodDrift) || r.Commands[0].Action != "replace" ||
		r.Commands[0].Candidates[0].NodeClaim != "general-abc12" {
		t.Fatalf("commands %+v, want drift replacing node old of NodeClaim general-abc12", r.Commands)
	}
	if old := nodeByName(t, r, "old"); old.Method != string(disruption.MethodDrift) || old.Reason != disruption.ReasonReplace || !strings.HasPrefix(old.Message, "Drift would replace") {
		t.Errorf("node old %+v, want replaced by drift, and saying so", old)
	}
	assertContains(t, "stderr", stderr, []string{"NodeClaim general-gone1 names node vanished, which the input does not define"})
}
