package provisioning_test

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// price is what one instance costs per hour in the sandbox.
func price(t testing.TB, instanceType, zone, capacityType string) float64 {
	t.Helper()
	return sb.Price(t, instanceType, zone, capacityType)
}

// poolInstanceTypes are the instance types the sandbox's default NodePool may launch, priced as the sandbox
// prices them.
func poolInstanceTypes(t testing.TB) (*v1.NodePool, []*cloudprovider.InstanceType) {
	t.Helper()
	return sb.PoolInstanceTypes(t)
}

// offlinePlan is the solver's plan for the Deployment's pods on an empty cluster, as `stevedore plan` would
// print it with the sandbox's prices.
func offlinePlan(t testing.TB, d *appsv1.Deployment) *solver.Plan {
	t.Helper()
	var pods []*corev1.Pod
	for i := range *d.Spec.Replicas {
		pods = append(pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%d", d.Name, i), Namespace: d.Namespace, Labels: d.Spec.Template.Labels,
				UID: types.UID(fmt.Sprintf("%s-%d", d.Name, i)),
			},
			Spec: *d.Spec.Template.Spec.DeepCopy(),
		})
	}
	return solveFor(t, pods)
}

func solveFor(t testing.TB, pods []*corev1.Pod) *solver.Plan {
	t.Helper()
	return sb.FreshPlan(t, pods)
}

// allowed are the values a NodeClaim's requirements allow for key; nil when they do not constrain it.
func allowed(claim *v1.NodeClaim, key string) []string {
	for _, r := range claim.Spec.Requirements {
		if r.Key == key && r.Operator == corev1.NodeSelectorOpIn {
			return r.Values
		}
	}
	return nil
}

// cheapestOption is the lowest price, and its type, among the offerings a NodeClaim's requirements allow.
func cheapestOption(t testing.TB, claim *v1.NodeClaim, zones []string) (string, float64) {
	t.Helper()
	if z := allowed(claim, corev1.LabelTopologyZone); z != nil {
		zones = z
	}
	capacityTypes := allowed(claim, v1.CapacityTypeLabelKey)
	if capacityTypes == nil {
		capacityTypes = []string{v1.CapacityTypeOnDemand, v1.CapacityTypeSpot}
	}
	best, bestPrice := "", math.Inf(1)
	for _, it := range allowed(claim, corev1.LabelInstanceTypeStable) {
		for _, z := range zones {
			for _, ct := range capacityTypes {
				if p := price(t, it, z, ct); p < bestPrice {
					best, bestPrice = it, p
				}
			}
		}
	}
	return best, bestPrice
}

// fits reports whether the instance type has room for one pod requesting cpu and memory.
func fits(it *cloudprovider.InstanceType, cpu, memory string) bool {
	alloc := it.Allocatable()
	c, m := alloc[corev1.ResourceCPU], alloc[corev1.ResourceMemory]
	return c.Cmp(resource.MustParse(cpu)) >= 0 && m.Cmp(resource.MustParse(memory)) >= 0
}

// cheapestSpot returns the n instance types with the lowest spot price in any zone, cheapest first.
func cheapestSpot(types []*cloudprovider.InstanceType, n int) []string {
	type priced struct {
		name  string
		price float64
	}
	var all []priced
	for _, it := range types {
		best := math.Inf(1)
		for _, o := range it.Offerings {
			if o.CapacityType == v1.CapacityTypeSpot {
				best = min(best, o.Price)
			}
		}
		if !math.IsInf(best, 1) {
			all = append(all, priced{it.Name, best})
		}
	}
	slices.SortFunc(all, func(a, b priced) int { return cmp.Compare(a.price, b.price) })
	var names []string
	for _, p := range all[:min(n, len(all))] {
		names = append(names, p.name)
	}
	return names
}

// podsFit is how many pods requesting cpu and memory a node of the type holds.
func podsFit(it *cloudprovider.InstanceType, cpu, memory string) int64 {
	alloc := it.Allocatable()
	c, m, p := alloc[corev1.ResourceCPU], alloc[corev1.ResourceMemory], alloc[corev1.ResourcePods]
	wantCPU, wantMemory := resource.MustParse(cpu), resource.MustParse(memory)
	byCPU := c.MilliValue() / wantCPU.MilliValue()
	byMemory := m.Value() / wantMemory.Value()
	return min(byCPU, byMemory, p.Value())
}

// simplePackingCost is an independent yardstick for a solve: in each zone, the zone's pods (all requesting cpu
// and memory) on as few nodes as needed of the one offering that makes that cheapest. For identical pods it is
// close to optimal, so a solver should not cost much more.
func simplePackingCost(types []*cloudprovider.InstanceType, perZone map[string]int, cpu, memory string) float64 {
	total := 0.0
	for zone, n := range perZone {
		best := math.Inf(1)
		for _, it := range types {
			k := podsFit(it, cpu, memory)
			if k == 0 {
				continue
			}
			nodes := (int64(n) + k - 1) / k
			for _, o := range it.Offerings {
				if o.Zone == zone && o.Available {
					best = min(best, float64(nodes)*o.Price)
				}
			}
		}
		total += best
	}
	return total
}
