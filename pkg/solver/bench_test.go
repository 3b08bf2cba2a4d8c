package solver_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

var benchZones = []string{"test-zone-1", "test-zone-2", "test-zone-3"}

// benchInstanceTypes are the synthetic types of Karpenter's scheduling benchmark: type i (1-based) has i vCPU,
// 2i GiB and 10i pods, costs 0.1 $/h per vCPU plus 0.1 $/h per GiB, and is offered on demand in three zones.
func benchInstanceTypes(n int) []*cloudprovider.InstanceType {
	out := make([]*cloudprovider.InstanceType, n)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("fake-it-%d", i)
		var offerings cloudprovider.Offerings
		for _, z := range benchZones {
			offerings = append(offerings, cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeOnDemand, Price: 0.1*float64(i) + 0.1*float64(2*i), Available: true})
		}
		out[i-1] = &cloudprovider.InstanceType{
			Name: name,
			Requirements: scheduling.NewRequirements(
				scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
				scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
				scheduling.NewRequirement(corev1.LabelOSStable, corev1.NodeSelectorOpIn, "linux"),
				scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, benchZones...),
				scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand),
			),
			Offerings: offerings,
			Capacity: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewQuantity(int64(i), resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(2*i)<<30, resource.BinarySI),
				corev1.ResourcePods:   *resource.NewQuantity(int64(10*i), resource.DecimalSI),
			},
		}
	}
	return out
}

func benchPool(types []*cloudprovider.InstanceType) *solver.NodePool {
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	return &solver.NodePool{NodePool: np, InstanceTypes: types}
}

var (
	benchCPU    = []string{"100m", "250m", "500m", "1000m", "1500m"}
	benchMemory = []string{"100Mi", "256Mi", "512Mi", "1Gi", "2Gi", "4Gi"}
)

func benchPod(r *rand.Rand, i int, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%06d", i), Namespace: "default", Labels: labels, UID: "uid"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(benchCPU[r.IntN(len(benchCPU))]),
			corev1.ResourceMemory: resource.MustParse(benchMemory[r.IntN(len(benchMemory))]),
		}}}}},
	}
}

func selector(labels map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: labels}
}

// diversePods is Karpenter's "diverse" mix: a fifth each of plain pods, zone spread, hostname spread, zone
// self-affinity and hostname anti-affinity (all anti-affine pods share one label, so each needs a node).
func diversePods(n int) []*corev1.Pod {
	r := rand.New(rand.NewPCG(1, 2))
	pods := make([]*corev1.Pod, 0, n)
	for i := range n {
		var p *corev1.Pod
		switch i % 5 {
		case 0:
			p = benchPod(r, i, map[string]string{"app": "plain"})
		case 1:
			l := map[string]string{"app": "zone-spread"}
			p = benchPod(r, i, l)
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: selector(l)}}
		case 2:
			l := map[string]string{"app": "host-spread"}
			p = benchPod(r, i, l)
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: selector(l)}}
		case 3:
			l := map[string]string{"app": "zone-affinity"}
			p = benchPod(r, i, l)
			p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{TopologyKey: corev1.LabelTopologyZone, LabelSelector: selector(l)}}}}
		case 4:
			l := map[string]string{"app": "anti-affinity"}
			p = benchPod(r, i, l)
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{TopologyKey: corev1.LabelHostname, LabelSelector: selector(l)}}}}
		}
		pods = append(pods, p)
	}
	return pods
}

// preferencePods is Karpenter's preference case: a satisfiable preferred zone, an unsatisfiable preferred zone
// anti-affinity of weight 10, and a satisfiable hostname anti-affinity preference of weight 1.
func preferencePods(n int) []*corev1.Pod {
	r := rand.New(rand.NewPCG(3, 4))
	pods := make([]*corev1.Pod, 0, n)
	l := map[string]string{"app": "preferences"}
	for i := range n {
		p := benchPod(r, i, l)
		p.Spec.Affinity = &corev1.Affinity{
			NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
				Weight: 1, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"test-zone-2"}}}},
			}}},
			PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
				{Weight: 10, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: corev1.LabelTopologyZone, LabelSelector: selector(l)}},
				{Weight: 1, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: corev1.LabelHostname, LabelSelector: selector(map[string]string{"app": "nobody"})}},
			}},
		}
		pods = append(pods, p)
	}
	return pods
}

func benchmarkSolve(b *testing.B, snapshot *solver.Snapshot) {
	b.Helper()
	var plan *solver.Plan
	start := time.Now()
	for b.Loop() {
		plan = solver.Solve(snapshot)
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(len(snapshot.Pods))*float64(b.N)/elapsed.Seconds(), "pods/s")
	b.ReportMetric(float64(len(plan.NewNodeClaims)), "nodes")
	b.ReportMetric(float64(len(plan.Unschedulable)), "unschedulable")
	if plan.LowerBoundPricePerHour > 0 {
		b.ReportMetric(plan.PricePerHour/plan.LowerBoundPricePerHour, "cost/bound")
	}
}

func BenchmarkDiverse(b *testing.B) {
	types := benchInstanceTypes(400)
	for _, n := range []int{100, 1000, 5000, 20000, 50000} {
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) {
			benchmarkSolve(b, &solver.Snapshot{Pods: diversePods(n), NodePools: []*solver.NodePool{benchPool(types)}})
		})
	}
}

func BenchmarkPreferences(b *testing.B) {
	benchmarkSolve(b, &solver.Snapshot{Pods: preferencePods(4000), NodePools: []*solver.NodePool{benchPool(benchInstanceTypes(400))}})
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
