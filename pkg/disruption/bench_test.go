package disruption_test

import (
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/disruption/budgets"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// BenchmarkEvaluate times one disruption pass over generated clusters of real instance types (see
// generateCluster), without a deadline (what a full pass costs) and with the 10s deadline a controller would
// give single-node consolidation (how much of the cluster one pass judges). Run it once per case:
//
//	go test -run '^$' -bench Evaluate -benchmem -benchtime=1x ./pkg/disruption/
//
// Besides time and allocations it reports, per pass: solver simulations, verdicts (all, and by reason),
// commands and the savings they bring.
func BenchmarkEvaluate(b *testing.B) {
	pool := genCatalogPool(b)
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			in := generateCluster(b, pool, genNodeTypes, n, 1)
			// A full pass over 5,000 nodes takes minutes (see designs/0007-disruption.md); `make bench` runs it
			// only with STEVEDORE_BENCH_FULL=1.
			if n <= 1000 || os.Getenv("STEVEDORE_BENCH_FULL") != "" {
				b.Run("deadline=none", func(b *testing.B) { benchmarkEvaluate(b, in, 0) })
			}
			b.Run("deadline=10s", func(b *testing.B) { benchmarkEvaluate(b, in, 10*time.Second) })
		})
	}
}

func benchmarkEvaluate(b *testing.B, in *disruption.Input, deadline time.Duration) {
	checker := &budgets.Checker{}
	pass := *in
	var r *disruption.Result
	b.ReportAllocs()
	for b.Loop() {
		if deadline > 0 {
			pass.Options.Deadline = time.Now().Add(deadline)
		}
		r = disruption.Evaluate(&pass, checker)
	}
	reportResult(b, r)
}

// reportResult reports what the last pass decided.
func reportResult(b *testing.B, r *disruption.Result) {
	byReason := map[string]int{}
	for _, v := range r.Verdicts {
		byReason[v.Reason]++
	}
	savings, removed := 0.0, 0
	var methods []string
	for _, c := range r.Commands {
		savings += c.Savings()
		removed += len(c.Candidates)
		methods = append(methods, fmt.Sprintf("%s:%d", c.Method, len(c.Candidates)))
	}
	b.ReportMetric(float64(r.Simulations), "simulations")
	b.ReportMetric(float64(len(r.Candidates)), "candidates")
	b.ReportMetric(float64(len(r.Verdicts)), "verdicts")
	b.ReportMetric(float64(len(r.Commands)), "commands")
	b.ReportMetric(float64(removed), "nodes-removed")
	b.ReportMetric(savings, "$/h-saved")
	var counts []string
	for _, reason := range slices.Sorted(maps.Keys(byReason)) {
		b.ReportMetric(float64(byReason[reason]), reason)
		counts = append(counts, fmt.Sprintf("%s=%d", reason, byReason[reason]))
	}
	b.Logf("%d candidates, %d verdicts (%s), %d simulations; commands %s saving $%.4f/h",
		len(r.Candidates), len(r.Verdicts), strings.Join(counts, " "), r.Simulations, strings.Join(methods, " "), savings)
}

// The benchmark's clusters are what generateCluster promises: the utilization mix, balanced zone spread,
// blocking budgets and do-not-disrupt pods that make a pass do realistic work.
func TestGeneratedClusterHasTheAdvertisedMix(t *testing.T) {
	in := generateCluster(t, fixturePool(), fixtureNodeTypes, 600, 3)
	var empty, light, busy, doNotDisrupt int
	zones := map[string]map[string]int{} // spread app -> zone -> pods
	for _, n := range in.Snapshot.Nodes {
		u := nodeUtilization(n)
		switch {
		case len(n.Pods) == 0:
			empty++
		case u < 0.4:
			light++
		case u >= 0.5:
			busy++
		}
		for _, p := range n.Pods {
			if p.Annotations[v1.DoNotDisruptAnnotationKey] == "true" {
				doNotDisrupt++
			}
			if len(p.Spec.TopologySpreadConstraints) > 0 {
				app := p.Labels["app"]
				if zones[app] == nil {
					zones[app] = map[string]int{}
				}
				zones[app][n.Labels[corev1.LabelTopologyZone]]++
			}
		}
	}
	within := func(got int, share float64) bool { return math.Abs(float64(got)/600-share) < 0.06 }
	if !within(empty, 0.10) || !within(light, 0.30) || !within(busy, 0.60) {
		t.Errorf("%d empty, %d under 40 %% used, %d busy of 600 nodes; want about 60, 180 and 360", empty, light, busy)
	}
	if doNotDisrupt == 0 {
		t.Error("no do-not-disrupt pod")
	}
	if len(zones) == 0 {
		t.Error("no Deployment spreads across zones")
	}
	for app, byZone := range zones {
		lo, hi := math.MaxInt, 0
		for _, z := range []string{"z-a", "z-b", "z-c"} {
			lo, hi = min(lo, byZone[z]), max(hi, byZone[z])
		}
		if hi-lo > 1 {
			t.Errorf("%s spreads %v across zones, skew over 1", app, byZone)
		}
	}
	var blocking int
	for _, pdb := range in.PDBs {
		if pdb.Status.DisruptionsAllowed == 0 {
			blocking++
		}
	}
	if len(in.PDBs) == 0 || blocking != 1 {
		t.Errorf("%d PodDisruptionBudgets, %d allowing no disruption; want some, one of them blocking", len(in.PDBs), blocking)
	}
}

// nodeUtilization is the larger of the node's requested CPU and memory shares.
func nodeUtilization(n *solver.Node) float64 {
	var cpu, mem float64
	for _, p := range n.Pods {
		r := p.Spec.Containers[0].Resources.Requests
		cpu += r.Cpu().AsApproximateFloat64()
		mem += r.Memory().AsApproximateFloat64()
	}
	return max(cpu/n.Allocatable.Cpu().AsApproximateFloat64(), mem/n.Allocatable.Memory().AsApproximateFloat64())
}
