package disruption_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	awscatalog "github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// genZones are the zones of the generated cluster, in the embedded catalog's region.
var genZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// genNodeTypes are the instance types the generated cluster's nodes run: what a cluster that has been
// provisioned for a while tends to hold.
var genNodeTypes = []string{"m5.xlarge", "m5.2xlarge", "c5.2xlarge", "r5.xlarge", "m6i.4xlarge"}

// genDeployment is a workload of the generated cluster: pods of one size, some spread across zones, some
// covered by a PodDisruptionBudget.
type genDeployment struct {
	name        string
	cpu, mem    resource.Quantity
	spread      bool
	maxReplicas int
	perZone     []int
	replicas    int
}

// genCatalogPool is the pool of the generated cluster over the embedded us-east-1 catalog: families c, m and
// r of generation 5 or later, amd64, on demand, three zones, consolidating underutilized nodes 30s after
// their pods last changed, with a 20 % budget so that multi-node consolidation has room after emptiness.
func genCatalogPool(tb testing.TB) *solver.NodePool {
	tb.Helper()
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{
		{Key: awsv1.LabelInstanceCategory, Operator: corev1.NodeSelectorOpIn, Values: []string{"c", "m", "r"}},
		{Key: awsv1.LabelInstanceGeneration, Operator: corev1.NodeSelectorOpGt, Values: []string{"4"}},
		{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64"}},
		{Key: v1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{v1.CapacityTypeOnDemand}},
	}
	np.Spec.Disruption.ConsolidationPolicy = v1.ConsolidationPolicyWhenEmptyOrUnderutilized
	np.Spec.Disruption.ConsolidateAfter = v1.NewNillableDuration(30 * time.Second)
	np.Spec.Disruption.Budgets = []v1.Budget{{Nodes: "20%"}}
	provider := instancetype.NewProvider(awscatalog.FactsSource(), pricing.NewStatic("us-east-1", nil, logr.Discard()),
		instancetype.Options{Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent})
	nc := &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}}, CNIMode: awsv1.CNIModeSecondaryIP}}
	types, err := provider.InstanceTypes(context.Background(), instancetype.Request{NodeClass: nc, NodePool: np, Zones: genZones})
	if err != nil {
		tb.Fatal(err)
	}
	return &solver.NodePool{NodePool: np, InstanceTypes: types}
}

var (
	genCPU    = []string{"100m", "250m", "500m", "1", "2"}
	genMemory = []string{"256Mi", "512Mi", "1Gi", "2Gi", "4Gi"}
)

// generateCluster builds a cluster of n nodes of nodeTypes (such as genNodeTypes) in pool, spread evenly over
// the zones they are offered in, every one initialized and quiet for an hour: about 10 % empty, 30 % under
// 40 % used and the rest 60–95 % used (by the larger of CPU and memory), carrying pods of n/25 Deployments, a
// third of them spread across zones (DoNotSchedule, maxSkew 1, kept balanced), a quarter with a
// PodDisruptionBudget that allows one disruption and one whose budget allows none; a node in 200, at random,
// runs a do-not-disrupt pod. The same seed builds the same cluster.
func generateCluster(tb testing.TB, pool *solver.NodePool, nodeTypes []string, n int, seed uint64) *disruption.Input {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	types := map[string]*cloudprovider.InstanceType{}
	zoneSet := map[string]bool{}
	for _, it := range pool.InstanceTypes {
		if slices.Contains(nodeTypes, it.Name) {
			types[it.Name] = it
			for _, o := range it.Offerings {
				zoneSet[o.Zone] = true
			}
		}
	}
	if len(types) != len(nodeTypes) {
		tb.Fatalf("the pool offers %d of the node types %v", len(types), nodeTypes)
	}
	zones := slices.Sorted(maps.Keys(zoneSet))
	deps, pdbs := genDeployments(r, max(8, n/25), len(zones))
	created := metav1.NewTime(now.Add(-24 * time.Hour))
	quiet := now.Add(-time.Hour)
	in := &disruption.Input{Snapshot: &solver.Snapshot{NodePools: []*solver.NodePool{pool}}, PDBs: pdbs, Now: now}
	for i := range n {
		it := types[nodeTypes[r.IntN(len(nodeTypes))]]
		zone := zones[i%len(zones)]
		name := fmt.Sprintf("node-%05d", i)
		labels := it.Requirements.Labels()
		labels[corev1.LabelHostname] = name
		labels[corev1.LabelTopologyZone] = zone
		labels[v1.CapacityTypeLabelKey] = v1.CapacityTypeOnDemand
		labels[v1.NodePoolLabelKey] = pool.NodePool.Name
		labels[v1.NodeInitializedLabelKey] = "true"
		alloc := it.Allocatable()
		var target float64
		switch u := r.Float64(); {
		case u < 0.10:
		case u < 0.40:
			target = 0.10 + 0.30*r.Float64()
		default:
			target = 0.60 + 0.35*r.Float64()
		}
		pods := fill(r, deps, name, i%len(zones), alloc, target)
		if len(pods) > 0 && r.IntN(200) == 0 {
			pods[0].Annotations = map[string]string{v1.DoNotDisruptAnnotationKey: "true"}
		}
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, CreationTimestamp: created}}
		claim := &v1.NodeClaim{ObjectMeta: metav1.ObjectMeta{Name: name + "-claim", Labels: labels, CreationTimestamp: created}}
		in.Snapshot.Nodes = append(in.Snapshot.Nodes, &solver.Node{Name: name, Labels: labels, Allocatable: alloc, Pods: pods, NodePool: pool.NodePool.Name})
		in.Nodes = append(in.Nodes, &disruption.Node{Node: node, NodeClaim: claim, LastPodEvent: quiet})
	}
	return in
}

// genDeployments makes n Deployments of typical sizes, and their PodDisruptionBudgets.
func genDeployments(r *rand.Rand, n, zones int) ([]*genDeployment, []*policyv1.PodDisruptionBudget) {
	var deps []*genDeployment
	var pdbs []*policyv1.PodDisruptionBudget
	for d := range n {
		dep := &genDeployment{
			name: fmt.Sprintf("deployment-%03d", d), spread: d%3 == 0, maxReplicas: 1 << 30, perZone: make([]int, zones),
			cpu: resource.MustParse(genCPU[r.IntN(len(genCPU))]), mem: resource.MustParse(genMemory[r.IntN(len(genMemory))]),
		}
		allowed := int32(-1)
		switch {
		case d == 1:
			// A small workload whose budget is spent: its nodes stay.
			dep.maxReplicas, allowed = 20, 0
		case d%4 == 1:
			allowed = 1
		}
		if allowed >= 0 {
			one := intstr.FromInt32(1)
			pdbs = append(pdbs, &policyv1.PodDisruptionBudget{
				ObjectMeta: metav1.ObjectMeta{Name: dep.name, Namespace: "default"},
				Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": dep.name}}},
				Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed, CurrentHealthy: 20, DesiredHealthy: 19, ExpectedPods: 20},
			})
		}
		deps = append(deps, dep)
	}
	return deps, pdbs
}

// fill adds pods of random Deployments to a node of allocatable alloc in zone z until its larger share of CPU
// and memory would pass target, keeping every spread Deployment's zones within one pod of each other.
func fill(r *rand.Rand, deps []*genDeployment, node string, z int, alloc corev1.ResourceList, target float64) []*corev1.Pod {
	var pods []*corev1.Pod
	cpu, mem := alloc[corev1.ResourceCPU], alloc[corev1.ResourceMemory]
	maxPods := alloc[corev1.ResourcePods]
	capCPU, capMem := cpu.AsApproximateFloat64()*target, mem.AsApproximateFloat64()*target
	var usedCPU, usedMem float64
	for misses := 0; misses < 20 && int64(len(pods)) < maxPods.Value(); {
		dep := deps[r.IntN(len(deps))]
		c, m := dep.cpu.AsApproximateFloat64(), dep.mem.AsApproximateFloat64()
		if usedCPU+c > capCPU || usedMem+m > capMem || dep.replicas >= dep.maxReplicas || (dep.spread && dep.perZone[z] > minOf(dep.perZone)) {
			misses++
			continue
		}
		usedCPU, usedMem = usedCPU+c, usedMem+m
		dep.perZone[z]++
		pods = append(pods, dep.pod(node))
	}
	return pods
}

func minOf(xs []int) int {
	m := xs[0]
	for _, x := range xs[1:] {
		m = min(m, x)
	}
	return m
}

// pod is the Deployment's next replica, bound to node, running for an hour.
func (d *genDeployment) pod(node string) *corev1.Pod {
	labels := map[string]string{"app": d.name}
	started := metav1.NewTime(now.Add(-time.Hour))
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%05d", d.name, d.replicas), Namespace: "default", Labels: labels, CreationTimestamp: started,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: d.name + "-rs"}},
		},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: d.cpu, corev1.ResourceMemory: d.mem,
		}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &started},
	}
	if d.spread {
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
		}}
	}
	d.replicas++
	return p
}
