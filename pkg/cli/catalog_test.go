package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
)

func catalogJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	code, stdout, stderr := execute(t, append([]string{"catalog", "-o", "json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	return rows
}

func find(rows []map[string]any, name string) map[string]any {
	for _, r := range rows {
		if r["name"] == name {
			return r
		}
	}
	return nil
}

func TestCatalogJSONListsEveryPricedType(t *testing.T) {
	rows := catalogJSON(t)
	prices, _, _ := catalog.OnDemandPrices("us-east-1")
	priced := 0
	for _, f := range catalog.InstanceTypes() {
		if prices[f.Name] > 0 {
			priced++
		}
	}
	if len(rows) != priced || priced < 1300 {
		t.Errorf("listed %d types, want every catalogued type with a us-east-1 price (%d)", len(rows), priced)
	}
	m5 := find(rows, "m5.large")
	if m5 == nil {
		t.Fatal("m5.large missing")
	}
	want := map[string]any{"vcpu": 2.0, "memoryMiB": 8192.0, "architecture": "amd64", "maxPods": 29.0, "onDemandPricePerHour": 0.096}
	for k, v := range want {
		if m5[k] != v {
			t.Errorf("m5.large %s = %v, want %v", k, m5[k], v)
		}
	}
	alloc, _ := m5["allocatable"].(map[string]any)
	for k, v := range map[string]any{"cpuMillicores": 1930.0, "memoryMiB": 6903.0, "pods": 29.0, "ephemeralStorageMiB": 17408.0} {
		if alloc[k] != v {
			t.Errorf("m5.large allocatable.%s = %v, want %v", k, alloc[k], v)
		}
	}
	labels, _ := m5["labels"].(map[string]any)
	if labels["aws.stevedore.dev/instance-family"] != "m5" || labels["node.kubernetes.io/instance-type"] != "m5.large" {
		t.Errorf("labels = %v", labels)
	}
	c6g := find(rows, "c6g.large")
	if a, _ := c6g["allocatable"].(map[string]any); a["memoryMiB"] != 3055.0 || a["cpuMillicores"] != 1930.0 {
		t.Errorf("c6g.large allocatable = %v, want 1930m and 3055 MiB", a)
	}
}

func TestCatalogFlagsChangeTheModel(t *testing.T) {
	reqs := "--requirements=aws.stevedore.dev/instance-family in (m5)"
	pd := find(catalogJSON(t, reqs, "--cni-mode", "prefix-delegation"), "m5.large")
	if pd["maxPods"] != 110.0 {
		t.Errorf("prefix delegation: m5.large maxPods = %v, want 110", pd["maxPods"])
	}
	mp := find(catalogJSON(t, reqs, "--max-pods", "50"), "m5.large")
	if mp["maxPods"] != 50.0 {
		t.Errorf("--max-pods 50: maxPods = %v", mp["maxPods"])
	}
	rows := catalogJSON(t, "--requirements", "kubernetes.io/arch=arm64,aws.stevedore.dev/instance-cpu<3,aws.stevedore.dev/instance-category in (c)")
	if len(rows) == 0 {
		t.Fatal("no small arm64 c types")
	}
	for _, r := range rows {
		if r["architecture"] != "arm64" || r["vcpu"].(float64) >= 3 || !strings.HasPrefix(r["name"].(string), "c") {
			t.Errorf("%v does not satisfy the requirements", r["name"])
		}
	}
	nodeClass := filepath.Join(t.TempDir(), "nc.yaml")
	if err := os.WriteFile(nodeClass, []byte(`apiVersion: aws.stevedore.dev/v1
kind: EC2NodeClass
metadata: {name: test}
spec:
  cniMode: custom-networking
  kubelet:
    systemReserved: {memory: 500Mi}
  blockDeviceMappings:
    - {deviceName: /dev/xvda, rootVolume: true, ebs: {volumeSize: 100Gi}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	nc := find(catalogJSON(t, reqs, "--nodeclass", nodeClass), "m5.large")
	alloc, _ := nc["allocatable"].(map[string]any)
	// custom networking: 20 pods, kube-reserved 475Mi; 7577 - 475 - 500 system - 100 eviction.
	if nc["maxPods"] != 20.0 || alloc["memoryMiB"] != 6502.0 || alloc["ephemeralStorageMiB"] != 90*1024.0-1024 {
		t.Errorf("with the node class: maxPods %v, allocatable %v", nc["maxPods"], alloc)
	}
}

func TestCatalogTableAndCSV(t *testing.T) {
	code, stdout, _ := execute(t, "catalog", "--sort-by", "price")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if !strings.Contains(lines[0], "ALLOC MEMORY") || len(lines) < 1300 {
		t.Errorf("table header %q, %d lines", lines[0], len(lines))
	}
	for _, l := range lines {
		if len(l) > 120 {
			t.Fatalf("line wider than 120 columns: %q", l)
		}
	}
	if first := strings.Fields(lines[1])[0]; first != "t4g.nano" && first != "t3a.nano" && first != "t3.nano" {
		t.Errorf("cheapest first: got %s", first)
	}
	code, stdout, _ = execute(t, "catalog", "-o", "csv", "--requirements", "node.kubernetes.io/instance-type=m5.large")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(records) != 2 || records[1][0] != "m5.large" || records[1][6] != "6903" {
		t.Errorf("csv = %v, %v", records, err)
	}
}

func TestCatalogRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownField := write("unknown.yaml", "apiVersion: aws.stevedore.dev/v1\nkind: EC2NodeClass\nspec:\n  cniMod: prefix-delegation\n")
	badMode := write("mode.yaml", "apiVersion: aws.stevedore.dev/v1\nkind: EC2NodeClass\nspec:\n  cniMode: calico\n  kubelet: {kubeReserved: {memory: lots}}\n")
	noClass := write("pool.yaml", "apiVersion: stevedore.dev/v1\nkind: NodePool\n")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "region", args: []string{"--region", "mars"}, want: []string{`--region "mars" is not an AWS region name`}},
		{name: "cni mode", args: []string{"--cni-mode", "calico"}, want: []string{"--cni-mode", "secondary-ip, prefix-delegation or custom-networking"}},
		{name: "requirements", args: []string{"--requirements", "a in ("}, want: []string{"--requirements"}},
		{name: "sort", args: []string{"--sort-by", "size"}, want: []string{"--sort-by", "name, price, vcpu, memory"}},
		{name: "output", args: []string{"-o", "yaml"}, want: []string{`--output" flag: must be one of table, json, csv`}},
		{name: "missing file", args: []string{"--nodeclass", filepath.Join(dir, "nope.yaml")}, want: []string{"--nodeclass", "no such file"}},
		{name: "unknown field", args: []string{"--nodeclass", unknownField}, want: []string{"--nodeclass", `unknown field "cniMod"`}},
		{name: "bad values name their fields", args: []string{"--nodeclass", badMode}, want: []string{"spec.cniMode", "spec.kubelet.kubeReserved[memory]"}},
		{name: "no node class in file", args: []string{"--nodeclass", noClass}, want: []string{"no EC2NodeClass"}},
		{name: "several problems at once", args: []string{"--region", "x", "--max-pods", "-1"}, want: []string{"--region", "--max-pods -1: must be at least 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := execute(t, append([]string{"catalog"}, tc.args...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not contain %q", stderr, w)
				}
			}
		})
	}
}

func TestCatalogWarnsOnUnpricedRegion(t *testing.T) {
	code, stdout, stderr := execute(t, "catalog", "--region", "eu-west-1", "--requirements", "node.kubernetes.io/instance-type=m5.large")
	if code != ExitOK || !strings.Contains(stderr, "no US-dollar prices for eu-west-1") || !strings.Contains(stdout, "0.0960") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
