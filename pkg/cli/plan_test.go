package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/stevedore-dev/stevedore/pkg/manifest"
)

// writeManifests writes each file (name: contents) into a new directory and returns the directory.
func writeManifests(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, contents := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(contents), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// deployment is a Deployment of replicas pods each requesting cpu and memory.
func deployment(name string, replicas int, cpu, memory string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s}
spec:
  replicas: %d
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers: [{name: app, image: app, resources: {requests: {cpu: %s, memory: %s}}}]
`, name, replicas, name, name, cpu, memory)
}

// planJSON runs `stevedore plan -o json` with args and decodes the report.
func planJSON(t *testing.T, args ...string) (planReport, string) {
	t.Helper()
	code, stdout, stderr := execute(t, append([]string{"plan", "-o", "json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var r planReport
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		t.Fatalf("invalid JSON %q: %v", stdout, err)
	}
	return r, stderr
}

// placed returns the pods on new nodes and on existing nodes.
func placed(r planReport) (onNew, onExisting []string) {
	for _, c := range r.NodeClaims {
		onNew = append(onNew, c.Pods...)
	}
	for _, n := range r.ExistingNodes {
		onExisting = append(onExisting, n.Pods...)
	}
	return onNew, onExisting
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestPlanJSONShape(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"app.yaml":     deployment("web", 10, "100m", "128Mi"),
		"service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
	})
	code, stdout, stderr := execute(t, "plan", "-f", dir, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, stdout)
	}
	if want := []string{"existingNodes", "ignored", "nodeClaims", "summary", "unschedulable"}; !slices.Equal(keys(got), want) {
		t.Errorf("top-level fields %q, want %q", keys(got), want)
	}
	summary, _ := got["summary"].(map[string]any)
	if want := []string{"lowerBoundPricePerHour", "newNodes", "pods", "pricePerHour", "solveMillis"}; !slices.Equal(keys(summary), want) {
		t.Errorf("summary fields %q, want %q", keys(summary), want)
	}
	claims, _ := got["nodeClaims"].([]any)
	if len(claims) == 0 {
		t.Fatalf("no nodeClaims in %s", stdout)
	}
	claim, _ := claims[0].(map[string]any)
	want := []string{"capacityType", "instanceType", "instanceTypeOptions", "labels", "name", "nodePool", "pods", "pricePerHour", "zone"}
	if !slices.Equal(keys(claim), want) {
		t.Errorf("nodeClaim fields %q, want %q", keys(claim), want)
	}
	options, _ := claim["instanceTypeOptions"].([]any)
	if len(options) == 0 {
		t.Fatal("instanceTypeOptions is empty")
	}
	option, _ := options[0].(map[string]any)
	if !slices.Equal(keys(option), []string{"name", "pricePerHour"}) || option["name"] != claim["instanceType"] {
		t.Errorf("first instanceTypeOption %v, want {name, pricePerHour} naming the chosen type %v", option, claim["instanceType"])
	}
	for _, list := range []string{"existingNodes", "unschedulable"} {
		if l, ok := got[list].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v, want an empty list", list, got[list])
		}
	}
	if ignored, _ := got["ignored"].([]any); len(ignored) != 1 || ignored[0] != filepath.Join(dir, "service.yaml")+": Service/web" {
		t.Errorf("ignored = %v, want the Service", got["ignored"])
	}
}

func TestPlanPlacesADeploymentOnNewNodes(t *testing.T) {
	dir := writeManifests(t, map[string]string{"app.yaml": deployment("web", 10, "100m", "128Mi")})
	r, _ := planJSON(t, "-f", dir)

	onNew, onExisting := placed(r)
	want := make([]string, 10)
	for i := range want {
		want[i] = fmt.Sprintf("default/web-%d", i)
	}
	if slices.Sort(onNew); !slices.Equal(onNew, want) || len(onExisting) != 0 || len(r.Unschedulable) != 0 {
		t.Errorf("placed %q on new nodes, %q on existing, %v unschedulable; want all 10 on new nodes", onNew, onExisting, r.Unschedulable)
	}
	total := 0.0
	for i, c := range r.NodeClaims {
		if c.Name != fmt.Sprintf("default-%d", i+1) || c.NodePool != "default" {
			t.Errorf("claim %d is %s of pool %s, want default-%d of the built-in pool", i, c.Name, c.NodePool, i+1)
		}
		// The built-in pool: amd64, c/m/r of generation 5 or later, on-demand (spot is not priced offline).
		labels := c.Labels
		if labels["kubernetes.io/arch"] != "amd64" || !strings.Contains("cmr", labels["aws.stevedore.dev/instance-category"]) ||
			labels["aws.stevedore.dev/instance-generation"] < "5" || labels["topology.kubernetes.io/zone"] != c.Zone ||
			labels["node.kubernetes.io/instance-type"] != c.InstanceType || c.CapacityType != "on-demand" {
			t.Errorf("claim %s: %s in %s (%s), labels %v; want what the built-in pool allows", c.Name, c.InstanceType, c.Zone, c.CapacityType, labels)
		}
		if !slices.Contains([]string{"us-east-1a", "us-east-1b", "us-east-1c"}, c.Zone) {
			t.Errorf("claim %s in zone %s, want one of the region's default zones", c.Name, c.Zone)
		}
		if c.PricePerHour <= 0 || c.InstanceTypeOptions[0].Name != c.InstanceType || c.InstanceTypeOptions[0].PricePerHour != c.PricePerHour {
			t.Errorf("claim %s at $%v with options %v; want a price and the chosen type first", c.Name, c.PricePerHour, c.InstanceTypeOptions)
		}
		total += c.PricePerHour
	}
	s := r.Summary
	if s.Pods != 10 || s.NewNodes != len(r.NodeClaims) || math.Abs(s.PricePerHour-total) > 1e-6 {
		t.Errorf("summary %+v; want 10 pods, %d new nodes costing %v", s, len(r.NodeClaims), total)
	}
	if s.LowerBoundPricePerHour <= 0 || s.LowerBoundPricePerHour > s.PricePerHour+1e-9 || s.SolveMillis < 0 {
		t.Errorf("summary %+v; want 0 < lower bound <= price", s)
	}
}

func TestPlanReportsUnschedulablePods(t *testing.T) {
	picky := `apiVersion: v1
kind: Pod
metadata: {name: picky, namespace: shop}
spec:
  nodeSelector: {example.com/disk: unobtainium}
  containers: [{name: app, image: app}]
`
	dir := writeManifests(t, map[string]string{"app.yaml": deployment("web", 2, "100m", "128Mi") + "---\n" + picky})
	r, _ := planJSON(t, "-f", dir)
	if len(r.Unschedulable) != 1 || r.Unschedulable[0].Pod != "shop/picky" || strings.TrimSpace(r.Unschedulable[0].Reason) == "" {
		t.Errorf("unschedulable %+v, want shop/picky with a reason", r.Unschedulable)
	}
	if onNew, _ := placed(r); len(onNew) != 2 {
		t.Errorf("placed %q, want the two web pods", onNew)
	}
}

// node is a Node in us-east-1a with the given extra labels and status (YAML flow mappings, or "").
func node(name, labels, status string) string {
	s := fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
  labels: {kubernetes.io/arch: amd64, kubernetes.io/os: linux, topology.kubernetes.io/zone: us-east-1a%s}
`, name, labels)
	if status != "" {
		s += "status: " + status + "\n"
	}
	return s
}

// boundPod is a running pod on nodeName requesting cpu.
func boundPod(name, nodeName, cpu string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: %s
  containers: [{name: app, image: app, resources: {requests: {cpu: %s, memory: 1Gi}}}]
status: {phase: Running}
`, name, nodeName, cpu)
}

func TestPlanUsesRoomOnExistingNodes(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		// 4 CPUs allocatable, one taken by a running pod.
		"a.yaml": node("from-status", "", "{allocatable: {cpu: '4', memory: 16Gi, pods: '110'}}") + "---\n" + boundPod("running", "from-status", "1"),
		// An m5.xlarge: 3.92 CPUs allocatable, computed from the catalog.
		"b.yaml":   node("from-catalog", ", node.kubernetes.io/instance-type: m5.xlarge", ""),
		"app.yaml": deployment("web", 5, "1", "1Gi"),
	})
	r, _ := planJSON(t, "-f", dir)
	onNew, onExisting := placed(r)
	if len(onExisting) != 5 || len(onNew) != 0 || len(r.Unschedulable) != 0 {
		t.Errorf("placed %q on existing nodes, %q on new ones, %v unschedulable; want all 5 on the 6 free CPUs of existing nodes",
			onExisting, onNew, r.Unschedulable)
	}
	for _, n := range r.ExistingNodes {
		if len(n.Pods) > 3 {
			t.Errorf("node %s got %d pods of 1 CPU; it has room for 3", n.Name, len(n.Pods))
		}
	}
	if r.Summary.NewNodes != 0 || r.Summary.PricePerHour != 0 {
		t.Errorf("summary %+v, want no new capacity", r.Summary)
	}
}

func TestPlanCountsDaemonSetsOnExistingNodes(t *testing.T) {
	daemonSet := `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: agent, resources: {requests: {cpu: "1"}}}]
`
	dir := writeManifests(t, map[string]string{
		"ds.yaml":   daemonSet,
		"node.yaml": node("small", "", "{allocatable: {cpu: '2', memory: 8Gi, pods: '110'}}"),
		"app.yaml":  deployment("web", 2, "1", "1Gi"),
	})
	r, _ := planJSON(t, "-f", dir)
	onNew, onExisting := placed(r)
	if len(onExisting) > 1 || len(onNew)+len(onExisting) != 2 {
		t.Errorf("placed %q on the existing node and %q on new ones; the DaemonSet leaves room for one pod there", onExisting, onNew)
	}
}

func TestPlanHonoursPoolsFromTheManifests(t *testing.T) {
	pools := `apiVersion: stevedore.dev/v1
kind: NodePool
metadata: {name: arm}
spec:
  template:
    metadata: {labels: {team: web}}
    spec:
      nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: graviton}
      requirements:
      - {key: kubernetes.io/arch, operator: In, values: [arm64]}
      - {key: aws.stevedore.dev/instance-family, operator: In, values: [m7g, c7g]}
---
apiVersion: aws.stevedore.dev/v1
kind: EC2NodeClass
metadata: {name: graviton}
spec:
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {stevedore.dev/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {stevedore.dev/discovery: demo}}]
`
	dir := writeManifests(t, map[string]string{"pools.yaml": pools, "app.yaml": deployment("web", 4, "500m", "512Mi")})
	r, stderr := planJSON(t, "-f", dir, "--zones", "us-east-1b")
	if len(r.NodeClaims) == 0 || stderr != "" {
		t.Fatalf("no claims (stderr %q)", stderr)
	}
	for i, c := range r.NodeClaims {
		family := c.Labels["aws.stevedore.dev/instance-family"]
		if c.Name != fmt.Sprintf("arm-%d", i+1) || c.Zone != "us-east-1b" || c.Labels["kubernetes.io/arch"] != "arm64" ||
			(family != "m7g" && family != "c7g") || c.Labels["team"] != "web" || c.Labels["stevedore.dev/nodepool"] != "arm" {
			t.Errorf("claim %s: %s in %s, labels %v; want pool arm's m7g or c7g in us-east-1b", c.Name, c.InstanceType, c.Zone, c.Labels)
		}
	}
}

func TestPlanWarnsAboutAMissingNodeClass(t *testing.T) {
	pool := `apiVersion: stevedore.dev/v1
kind: NodePool
metadata: {name: general}
spec:
  template:
    spec:
      nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: elsewhere}
`
	dir := writeManifests(t, map[string]string{"pool.yaml": pool, "app.yaml": deployment("web", 1, "100m", "128Mi")})
	r, stderr := planJSON(t, "-f", dir)
	if !strings.Contains(stderr, "NodePool general uses EC2NodeClass elsewhere, which the manifests do not define") {
		t.Errorf("stderr %q, want a warning about the missing EC2NodeClass", stderr)
	}
	if len(r.NodeClaims) != 1 || r.NodeClaims[0].NodePool != "general" {
		t.Errorf("claims %+v, want one from pool general", r.NodeClaims)
	}
}

func TestPlanRespectsPoolLimitsAgainstExistingNodes(t *testing.T) {
	pool := `apiVersion: stevedore.dev/v1
kind: NodePool
metadata: {name: capped}
spec:
  limits: {cpu: "4"}
  template:
    spec:
      nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: default}
`
	dir := writeManifests(t, map[string]string{
		"pool.yaml": pool,
		// The pool's only node is full and already uses its whole CPU limit.
		"node.yaml": node("full", ", stevedore.dev/nodepool: capped", "{capacity: {cpu: '4', memory: 16Gi, pods: '110'}, allocatable: {cpu: '4', memory: 15Gi, pods: '110'}}") +
			"---\n" + boundPod("hog", "full", "4"),
		"app.yaml": deployment("web", 1, "100m", "128Mi"),
	})
	r, _ := planJSON(t, "-f", dir)
	if len(r.NodeClaims) != 0 || len(r.Unschedulable) != 1 || r.Unschedulable[0].Reason == "" {
		t.Errorf("claims %+v, unschedulable %+v; want none launched beyond the pool's cpu limit", r.NodeClaims, r.Unschedulable)
	}
}

func TestPlanTable(t *testing.T) {
	picky := "apiVersion: v1\nkind: Pod\nmetadata: {name: picky}\nspec: {nodeSelector: {example.com/disk: unobtainium}, containers: [{name: app, image: app}]}\n"
	dir := writeManifests(t, map[string]string{
		"app.yaml":  deployment("web", 30, "250m", "512Mi") + "---\n" + picky,
		"node.yaml": node("existing", "", "{allocatable: {cpu: '1', memory: 4Gi, pods: '110'}}"),
	})
	code, stdout, stderr := execute(t, "plan", "-f", dir)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	assertContains(t, "stdout", stdout, []string{
		`built-in NodePool "default"`,
		"NODEPOOL  INSTANCE TYPE  ZONE", "on-demand", "Total: ", "/hour; lower bound $", "a gap of ",
		"EXISTING NODE", "existing ",
		"UNSCHEDULABLE (1 pod)", "default/picky",
		"Planned 31 pending pods in ",
	})
	for _, line := range strings.Split(stdout, "\n") {
		if len([]rune(line)) > tableWidth {
			t.Errorf("line wider than %d columns: %q", tableWidth, line)
		}
	}
}

func TestPlanBadInput(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"broken.yaml":    deployment("web", 1, "100m", "128Mi") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i, resourcez: {}}]}\n",
		"malformed.yaml": "apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n",
		"node.yaml":      node("mystery", "", ""),
		"nodeclass.yaml": "apiVersion: aws.stevedore.dev/v1\nkind: EC2NodeClass\nmetadata: {name: bad}\nspec:\n  amiSelectorTerms: [{alias: al2023@latest}]\n  kubelet: {kubeReserved: {memory: lots}}\n",
		"good.yaml":      deployment("web", 1, "100m", "128Mi"),
	})
	file := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "unknown field names the file and document", args: []string{"-f", file("broken.yaml")}, want: []string{file("broken.yaml") + ": document 2: ", `unknown field "spec.containers[0].resourcez"`}},
		{name: "malformed YAML names the file and document", args: []string{"-f", file("good.yaml"), "-f", file("malformed.yaml")}, want: []string{file("malformed.yaml") + ": document 1: "}},
		{name: "missing file", args: []string{"-f", file("nope.yaml")}, want: []string{"nope.yaml", "no such file"}},
		{name: "node of unknown size", args: []string{"-f", file("node.yaml")}, want: []string{"node mystery has no status.allocatable"}},
		{name: "invalid node class", args: []string{"-f", file("nodeclass.yaml")}, want: []string{"EC2NodeClass bad", "spec.kubelet.kubeReserved[memory]"}},
		{name: "no manifests", args: nil, want: []string{"-f/--filename or --kubeconfig is required"}},
		{name: "bad flags", args: []string{"-f", file("good.yaml"), "--region", "mars", "--cni-mode", "carrier-pigeon"}, want: []string{"--region", "--cni-mode"}},
		{name: "zone of another region", args: []string{"-f", file("good.yaml"), "--zones", "us-west-2a"}, want: []string{`--zones: "us-west-2a" is not a zone of region us-east-1`}},
		{name: "bad output format", args: []string{"-f", file("good.yaml"), "-o", "yaml"}, want: []string{"must be one of table, json"}},
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

// TestPlanSnapshot checks how manifests become the solver's input, whatever the solver then does.
func TestPlanSnapshot(t *testing.T) {
	manifests := strings.Join([]string{
		node("m5", ", node.kubernetes.io/instance-type: m5.large, stevedore.dev/nodepool: default", ""),
		node("cordoned", ", stevedore.dev/nodepool: default", "{capacity: {cpu: '8'}, allocatable: {cpu: '7'}}") + "spec: {unschedulable: true}\n",
		node("gpu-only", ", gpu: 'true'", "{allocatable: {cpu: '4'}}") + "spec: {taints: [{key: gpu, effect: NoSchedule}]}\n",
		boundPod("running", "m5", "100m"),
		boundPod("lost", "gone", "100m"),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: done}\nspec: {containers: [{name: c, image: i}]}\nstatus: {phase: Succeeded}\n",
		deployment("web", 2, "100m", "128Mi"),
		"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: kube-system}\nspec:\n  selector: {matchLabels: {app: agent}}\n" +
			"  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: c, image: i, resources: {requests: {cpu: 50m}}}]}}\n",
		// The agent already runs on m5, and one of its pods waits for a node.
		"apiVersion: v1\nkind: Pod\nmetadata: {name: agent-x1, namespace: kube-system, ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: u, controller: true}]}\n" +
			"spec: {nodeName: m5, containers: [{name: c, image: i}]}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: agent-pending, namespace: kube-system, ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: u, controller: true}]}\n" +
			"spec: {containers: [{name: c, image: i}]}\n",
	}, "---\n")
	objects, err := manifest.Read("test.yaml", strings.NewReader(manifests))
	if err != nil {
		t.Fatal(err)
	}
	var warnings bytes.Buffer
	o := &planOptions{region: "us-east-1", files: []string{"test.yaml"}}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	b := snapshotBuilder{opts: o, objects: objects, warnings: &warnings}
	snapshot, err := b.build(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	var pending []string
	for _, p := range snapshot.Pods {
		pending = append(pending, p.Namespace+"/"+p.Name)
	}
	if want := []string{"default/web-0", "default/web-1"}; !slices.Equal(pending, want) {
		t.Errorf("pending pods %q, want %q: finished, bound and DaemonSet pods are not pending", pending, want)
	}
	if !strings.Contains(warnings.String(), "left out 1 pod bound to nodes the manifests do not define") {
		t.Errorf("warnings %q, want one about the pod on node gone", warnings.String())
	}

	nodePods := map[string][]string{}
	for _, n := range snapshot.Nodes {
		for _, p := range n.Pods {
			nodePods[n.Name] = append(nodePods[n.Name], p.Name)
		}
	}
	want := map[string][]string{
		"m5":       {"running", "agent-x1"}, // the agent is not added twice
		"cordoned": {"agent-cordoned"},      // DaemonSets tolerate cordoned nodes
		"gpu-only": nil,                     // the agent does not tolerate the gpu taint
	}
	for name, pods := range want {
		if !slices.Equal(nodePods[name], pods) {
			t.Errorf("node %s has pods %q, want %q", name, nodePods[name], pods)
		}
	}

	m5 := snapshot.Nodes[0]
	// As `stevedore catalog` shows for m5.large: 1930m, 6903Mi and 29 pods allocatable.
	for name, want := range map[corev1.ResourceName]string{corev1.ResourceCPU: "1930m", corev1.ResourceMemory: "6903Mi", corev1.ResourcePods: "29"} {
		if got := m5.Allocatable[name]; got.Cmp(resource.MustParse(want)) != 0 {
			t.Errorf("m5.large allocatable %s = %s, want %s", name, got.String(), want)
		}
	}
	if m5.NodePool != "default" || m5.InFlight {
		t.Errorf("node m5: pool %q, in flight %v", m5.NodePool, m5.InFlight)
	}
	if taints := snapshot.Nodes[1].Taints; len(taints) != 1 || taints[0].Key != corev1.TaintNodeUnschedulable {
		t.Errorf("cordoned node taints %v, want the unschedulable taint", taints)
	}

	if len(snapshot.NodePools) != 1 || snapshot.NodePools[0].NodePool.Name != "default" || len(snapshot.NodePools[0].InstanceTypes) == 0 {
		t.Fatalf("pools %+v, want the built-in one with instance types", snapshot.NodePools)
	}
	usage := snapshot.NodePools[0].Usage
	// m5.large's 2 vCPUs and the cordoned node's 8.
	if cpu, nodes := usage[corev1.ResourceCPU], usage["nodes"]; cpu.Cmp(resource.MustParse("10")) != 0 || nodes.Value() != 2 {
		t.Errorf("pool usage %v, want cpu 10 and 2 nodes", usage)
	}
	for _, it := range snapshot.NodePools[0].InstanceTypes {
		if it.Overhead.DaemonSets.Cpu().MilliValue() != 50 {
			t.Fatalf("%s DaemonSet overhead %v, want the agent's 50m", it.Name, it.Overhead.DaemonSets)
		}
	}
}
