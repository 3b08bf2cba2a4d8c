package disruption_test

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

var (
	now   = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	zones = []string{"z-a", "z-b", "z-c"}
)

// shape is an instance type of the fixture catalog: on demand at price, spot at 30 % of it.
type shape struct {
	name   string
	cpu    int64
	memGiB int64
	price  float64
}

var catalog = []shape{
	{"small", 2, 4, 0.10},
	{"medium", 4, 8, 0.20},
	{"large", 8, 16, 0.40},
	{"xlarge", 16, 32, 0.80},
}

func instanceType(s shape) *cloudprovider.InstanceType {
	var offerings cloudprovider.Offerings
	for _, z := range zones {
		offerings = append(offerings,
			cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeOnDemand, Price: s.price, Available: true},
			cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeSpot, Price: s.price * 0.3, Available: true})
	}
	return &cloudprovider.InstanceType{
		Name: s.name,
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, s.name),
			scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
			scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, zones...),
			scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand, v1.CapacityTypeSpot),
		),
		Offerings: offerings,
		Capacity:  resources(s.cpu, s.memGiB),
	}
}

func resources(cpu, memGiB int64) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(cpu, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(memGiB<<30, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
	}
}

// world is a cluster under construction: one pool and its nodes.
type world struct {
	pool  *v1.NodePool
	types []*cloudprovider.InstanceType
	nodes []*solver.Node
	info  []*disruption.Node
	pdbs  []*policyv1.PodDisruptionBudget
	opts  disruption.Options
}

// newWorld has a pool "default" that allows on-demand only (spot when spot is true), consolidating after 30s.
func newWorld(spot bool) *world {
	capacityTypes := []string{v1.CapacityTypeOnDemand}
	if spot {
		capacityTypes = append(capacityTypes, v1.CapacityTypeSpot)
	}
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{{
		Key: v1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: capacityTypes,
	}}
	np.Spec.Disruption.ConsolidationPolicy = v1.ConsolidationPolicyWhenEmptyOrUnderutilized
	np.Spec.Disruption.ConsolidateAfter = v1.NewNillableDuration(30 * time.Second)
	w := &world{pool: np}
	for _, s := range catalog {
		w.types = append(w.types, instanceType(s))
	}
	return w
}

// node adds an initialized node of the shape, on demand in zone z-a, created an hour ago, whose pods last
// changed ten minutes ago.
func (w *world) node(name, typ string, pods ...*corev1.Pod) *disruption.Node {
	return w.nodeIn(name, typ, v1.CapacityTypeOnDemand, pods...)
}

func (w *world) nodeIn(name, typ, capacityType string, pods ...*corev1.Pod) *disruption.Node {
	var s shape
	for _, c := range catalog {
		if c.name == typ {
			s = c
		}
	}
	labels := map[string]string{
		corev1.LabelHostname: name, corev1.LabelTopologyZone: "z-a", corev1.LabelArchStable: "amd64",
		corev1.LabelInstanceTypeStable: typ, v1.CapacityTypeLabelKey: capacityType,
		v1.NodePoolLabelKey: w.pool.Name, v1.NodeInitializedLabelKey: "true",
	}
	created := metav1.NewTime(now.Add(-time.Hour))
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, CreationTimestamp: created}}
	claim := &v1.NodeClaim{ObjectMeta: metav1.ObjectMeta{Name: name + "-claim", Labels: labels, CreationTimestamp: created}}
	for _, p := range pods {
		p.Spec.NodeName = name
	}
	w.nodes = append(w.nodes, &solver.Node{Name: name, Labels: labels, Allocatable: resources(s.cpu, s.memGiB), Pods: pods, NodePool: w.pool.Name})
	info := &disruption.Node{Node: n, NodeClaim: claim, LastPodEvent: now.Add(-10 * time.Minute)}
	w.info = append(w.info, info)
	return info
}

// pods are n pods of app, each requesting cpu and mem.
func pods(app string, n int, cpu, mem string) []*corev1.Pod {
	out := make([]*corev1.Pod, n)
	for i := range out {
		out[i] = &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", app, i), Namespace: "default", Labels: map[string]string{"app": app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
			}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning},
		}
	}
	return out
}

// pdb covers app with the given disruptions allowed.
func (w *world) pdb(app string, allowed int32) {
	one := intstr.FromInt32(1)
	w.pdbs = append(w.pdbs, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: "default"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}},
		Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed, CurrentHealthy: 3, DesiredHealthy: 3, ExpectedPods: 3},
	})
}

func (w *world) input() *disruption.Input {
	return &disruption.Input{
		Snapshot: &solver.Snapshot{Nodes: w.nodes, NodePools: []*solver.NodePool{{NodePool: w.pool, InstanceTypes: w.types}}},
		Nodes:    w.info, PDBs: w.pdbs, Now: now, Options: w.opts,
	}
}

func (w *world) evaluate() *disruption.Result { return disruption.Evaluate(w.input(), nil) }

func disruptedTaint() corev1.Taint {
	return corev1.Taint{Key: v1.DisruptedTaintKey, Effect: corev1.TaintEffectNoSchedule}
}
