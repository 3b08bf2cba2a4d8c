package solver_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

var spreadZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// simSpot prices spot offerings as the AWS simulator does at one fixed moment.
type simSpot struct {
	sim *awssim.Server
	at  time.Time
}

func (s simSpot) SpotPrice(instanceType, zone string) (float64, bool) {
	return s.sim.SpotPrice(instanceType, zone, s.at)
}

// openPool is a NodePool over the whole us-east-1 catalog that allows on-demand and spot, amd64 and arm64,
// in three zones, with spot priced by the simulator.
func openPool(t *testing.T) *solver.NodePool {
	t.Helper()
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{
		{Key: v1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{v1.CapacityTypeOnDemand, v1.CapacityTypeSpot}},
		{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64", "arm64"}},
		{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: spreadZones},
	}
	spot := simSpot{sim: awssim.New(awssim.Options{Region: "us-east-1"}), at: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}
	provider := instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic("us-east-1", spot, logr.Discard()),
		instancetype.Options{Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent})
	nc := &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}}, CNIMode: awsv1.CNIModeSecondaryIP}}
	types, err := provider.InstanceTypes(context.Background(), instancetype.Request{NodeClass: nc, NodePool: np, Zones: spreadZones})
	if err != nil {
		t.Fatal(err)
	}
	return &solver.NodePool{NodePool: np, InstanceTypes: types}
}

// zoneYardstick is what packing each zone's share of n pods onto whole nodes of the type cheapest per pod
// in that zone costs: per zone, ceil(pods / fit) x price, minimised over types and capacity types.
func zoneYardstick(t *testing.T, pool *solver.NodePool, pod *corev1.Pod, n int) float64 {
	t.Helper()
	cpu := pod.Spec.Containers[0].Resources.Requests.Cpu().MilliValue()
	mem := pod.Spec.Containers[0].Resources.Requests.Memory().Value()
	total := 0.0
	for i, z := range spreadZones {
		share := n / len(spreadZones)
		if i < n%len(spreadZones) {
			share++
		}
		best := math.Inf(1)
		for _, it := range pool.InstanceTypes {
			alloc := it.Allocatable()
			fit := min(alloc.Cpu().MilliValue()/cpu, alloc.Memory().Value()/mem, alloc.Pods().Value())
			if fit == 0 {
				continue
			}
			for _, off := range it.Offerings {
				if off.Zone == z && off.Available {
					best = min(best, math.Ceil(float64(share)/float64(fit))*off.Price)
				}
			}
		}
		total += best
	}
	return total
}

// spreadDeployment is n pods of 500m and 1Gi spread over zones with maxSkew 1, DoNotSchedule, minDomains 3.
func spreadDeployment(n int) []*corev1.Pod {
	return uPods("web", n, "500m", "1Gi", func(p *corev1.Pod) {
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
			MinDomains: ptr.To[int32](3), LabelSelector: selector(map[string]string{"app": "web"}),
		}}
	})
}

// A zone-spread Deployment costs about what packing each zone's share onto the cheapest nodes per pod
// costs, not one large node per zone.
func TestZoneSpreadCostsNearPerZonePacking(t *testing.T) {
	t.Parallel()
	pool := openPool(t)
	for _, n := range []int{12, 30, 50} {
		pods := spreadDeployment(n)
		plan := solver.Solve(&solver.Snapshot{Pods: pods, NodePools: []*solver.NodePool{pool}})
		if len(plan.Unschedulable) > 0 {
			t.Fatalf("%d pods: %d unschedulable, first: %s", n, len(plan.Unschedulable), plan.Unschedulable[0].Reason)
		}
		perZone := map[string]int{}
		for _, c := range plan.NewNodeClaims {
			perZone[c.Zone] += len(c.Pods)
		}
		for _, z := range spreadZones {
			if got := perZone[z]; got < n/3 || got > (n+2)/3 {
				t.Errorf("%d pods: %d in %s, want %d or %d (maxSkew 1)", n, got, z, n/3, (n+2)/3)
			}
		}
		want := zoneYardstick(t, pool, pods[0], n)
		if plan.PricePerHour > want*1.15 {
			t.Errorf("%d pods: plan costs $%.4f/h, more than 15%% over $%.4f/h for packing each zone on its cheapest type per pod; nodes: %s",
				n, plan.PricePerHour, want, describeClaims(plan.NewNodeClaims))
		}
	}
}

// describeClaims lists the claims as type/zone/capacity type, price and pod count.
func describeClaims(claims []*solver.NewNodeClaim) string {
	var b strings.Builder
	for _, c := range claims {
		fmt.Fprintf(&b, "%s/%s/%s $%.4f (%d) ", c.InstanceType, c.Zone, c.CapacityType, c.PricePerHour, len(c.Pods))
	}
	return b.String()
}

// The mechanism on its own: a large type is cheaper per pod than a small one when full, but a zone's share
// of a spread Deployment fills under half of it and no type between them exists for finishing to shrink it
// to. Each zone then needs three small nodes, not one large one.
func TestZoneSpreadDoesNotBuyNodesItCannotFill(t *testing.T) {
	t.Parallel()
	small := uType("small", 2, 4, "amd64", 0.02)   // 2 pods, $0.0100 a pod
	large := uType("large", 16, 64, "amd64", 0.12) // 16 pods, $0.0075 a pod
	pods := uPods("web", 18, "1", "1Gi", func(p *corev1.Pod) {
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: selector(map[string]string{"app": "web"}),
		}}
	})
	plan := solver.Solve(&solver.Snapshot{Pods: pods, NodePools: []*solver.NodePool{uPool("default", nil, small, large)}})
	if len(plan.Unschedulable) > 0 {
		t.Fatalf("%d unschedulable, first: %s", len(plan.Unschedulable), plan.Unschedulable[0].Reason)
	}
	if want := 0.18; math.Abs(plan.PricePerHour-want) > 1e-9 {
		t.Errorf("plan costs $%.4f/h, want $%.4f/h (three small nodes a zone); nodes: %s", plan.PricePerHour, want, describeClaims(plan.NewNodeClaims))
	}
}
