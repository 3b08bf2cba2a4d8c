package solver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// catalogPool is the default NodePool over the embedded us-east-1 catalog: families c, m and r of generation
// 5 or later, amd64, on demand, three zones.
func catalogPool(tb testing.TB) *solver.NodePool {
	tb.Helper()
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{
		{Key: awsv1.LabelInstanceCategory, Operator: corev1.NodeSelectorOpIn, Values: []string{"c", "m", "r"}},
		{Key: awsv1.LabelInstanceGeneration, Operator: corev1.NodeSelectorOpGt, Values: []string{"4"}},
		{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64"}},
	}
	provider := instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic("us-east-1", nil, logr.Discard()),
		instancetype.Options{Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent})
	nc := &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}}, CNIMode: awsv1.CNIModeSecondaryIP}}
	types, err := provider.InstanceTypes(context.Background(), instancetype.Request{NodeClass: nc, NodePool: np, Zones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}})
	if err != nil {
		tb.Fatal(err)
	}
	return &solver.NodePool{NodePool: np, InstanceTypes: types}
}

var (
	deploymentCPU    = []string{"100m", "250m", "500m", "1", "2", "4"}
	deploymentMemory = []string{"128Mi", "512Mi", "1Gi", "2Gi", "4Gi", "8Gi", "16Gi"}
)

// deploymentPods are n pods from Deployments of typical sizes: plain requests, some spread across zones.
func deploymentPods(n int, spread bool) []*corev1.Pod {
	r := rand.New(rand.NewPCG(5, 6))
	pods := make([]*corev1.Pod, 0, n)
	for d := 0; len(pods) < n; d++ {
		replicas := min(1+r.IntN(100), n-len(pods))
		labels := map[string]string{"app": fmt.Sprintf("deployment-%d", d)}
		cpu, mem := deploymentCPU[r.IntN(len(deploymentCPU))], deploymentMemory[r.IntN(len(deploymentMemory))]
		for range replicas {
			p := benchPod(r, len(pods), labels)
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = mustQuantity(cpu)
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory] = mustQuantity(mem)
			if spread && d%2 == 0 {
				p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: selector(labels)}}
			}
			pods = append(pods, p)
		}
	}
	return pods
}

func BenchmarkCatalog(b *testing.B) {
	pool := catalogPool(b)
	b.Logf("%d instance types after the default requirements", len(pool.InstanceTypes))
	for _, tc := range []struct {
		n      int
		spread bool
	}{{1000, false}, {5000, false}, {5000, true}, {50000, true}} {
		b.Run(fmt.Sprintf("pods=%d/spread=%t", tc.n, tc.spread), func(b *testing.B) {
			benchmarkSolve(b, &solver.Snapshot{Pods: deploymentPods(tc.n, tc.spread), NodePools: []*solver.NodePool{pool}})
		})
	}
}
