package provisioning_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// iceFamilies are the instance families the spot-shortage workload accepts: few enough that the test can use
// up all their spot capacity, varied enough that a shortage of the cheapest leaves others, and without
// burstable types, whose on-demand price undercuts other families' spot.
func iceFamilies() []string { return []string{"c5", "m5", "r5"} }

func TestSpotShortageFallsBackToOtherTypesThenOnDemand(t *testing.T) {
	ns := sb.Namespace(t)
	_, all := poolInstanceTypes(t)
	fitting := slices.DeleteFunc(slices.Clone(all), func(it *cloudprovider.InstanceType) bool {
		family, _, _ := strings.Cut(it.Name, ".")
		return !slices.Contains(iceFamilies(), family) || !fits(it, "500m", "1Gi")
	})
	cheapestTypes := cheapestSpot(fitting, 3)
	t.Logf("spot capacity of %v runs out in every zone", cheapestTypes)
	exhaust(t, cheapestTypes)

	// One pod per node, so that every replica needs a launch of its own.
	group := "ice-" + ns
	first := iceDeployment(ns, group, 3)
	if err := sb.Client.Create(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	sb.WaitRunning(t, runTimeout, ns, first.Name, 3)
	launched := launchedClaims(t)
	for _, c := range launched {
		if slices.Contains(cheapestTypes, c.instanceType) || c.capacityType != v1.CapacityTypeSpot {
			t.Errorf("NodeClaim %s launched %s %s; want spot capacity of a type other than %v", c.name, c.capacityType,
				c.instanceType, cheapestTypes)
		}
	}
	t.Logf("with the cheapest spot types exhausted: %v", launched)

	var names []string
	for _, it := range fitting {
		names = append(names, it.Name)
	}
	exhaust(t, names)
	second := iceDeployment(ns, group, 2)
	if err := sb.Client.Create(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	sb.WaitRunning(t, runTimeout, ns, second.Name, 2)
	sb.WaitRunning(t, runTimeout, ns, first.Name, 3)
	var onDemand []claimSummary
	for _, c := range launchedClaims(t) {
		if !slices.ContainsFunc(launched, func(l claimSummary) bool { return l.name == c.name }) {
			onDemand = append(onDemand, c)
			if c.capacityType != v1.CapacityTypeOnDemand {
				t.Errorf("NodeClaim %s launched %s %s after all spot capacity ran out; want on-demand", c.name,
					c.capacityType, c.instanceType)
			}
		}
	}
	if len(onDemand) != 2 {
		t.Errorf("%d new NodeClaims for the 2 new pods; want 2: %v", len(onDemand), onDemand)
	}
	t.Logf("with all spot capacity exhausted: %v", onDemand)
	// While some spot offering the controller has not seen fail is cheaper than on-demand, it tries spot first
	// and learns of the shortage only from failed launches, each deleting its claim for another try.
	if spot, onDemand := cheapest(fitting, v1.CapacityTypeSpot, cheapestTypes), cheapest(fitting, v1.CapacityTypeOnDemand, nil); spot < onDemand {
		events := &corev1.EventList{}
		if err := sb.Client.List(t.Context(), events); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(events.Items, func(e corev1.Event) bool { return e.Reason == v1.ReasonInsufficientCapacity }) {
			// Event notes used to quote the whole launch error and be rejected by the API server as longer than
			// 1024 characters; the user must see why their claims were deleted.
			t.Errorf("no %s event, though spot at $%.4f/hour looked cheaper than on-demand at $%.4f/hour and launches failed",
				v1.ReasonInsufficientCapacity, spot, onDemand)
		}
	}
}

// exhaust leaves no spot capacity of the instance types in any zone until the test ends.
func exhaust(t *testing.T, instanceTypes []string) {
	for _, it := range instanceTypes {
		for _, z := range zones() {
			sb.Info.Simulator.SetCapacity(it, z, v1.CapacityTypeSpot, 0)
		}
	}
	t.Cleanup(func() {
		for _, it := range instanceTypes {
			for _, z := range zones() {
				sb.Info.Simulator.SetCapacity(it, z, v1.CapacityTypeSpot, -1)
			}
		}
	})
}

// iceDeployment runs pods of 500m and 1Gi limited to iceFamilies, one pod of the group per node.
func iceDeployment(ns, group string, replicas int32) *appsv1.Deployment {
	d := test.Deployment(replicas, test.WithNamespace(ns), test.WithRequests("500m", "1Gi"),
		test.WithNodeRequirements(corev1.NodeSelectorRequirement{
			Key: awsv1.LabelInstanceFamily, Operator: corev1.NodeSelectorOpIn, Values: iceFamilies(),
		}))
	d.Spec.Template.Labels["group"] = group
	if d.Spec.Template.Spec.Affinity == nil {
		d.Spec.Template.Spec.Affinity = &corev1.Affinity{}
	}
	d.Spec.Template.Spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			TopologyKey:   corev1.LabelHostname,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": group}},
		}},
	}
	return d
}

// claimSummary is a launched NodeClaim as a user lists it.
type claimSummary struct{ name, instanceType, zone, capacityType string }

func (c claimSummary) String() string {
	return fmt.Sprintf("%s %s/%s/%s", c.name, c.instanceType, c.zone, c.capacityType)
}

// launchedClaims are the NodeClaims that have an instance.
func launchedClaims(t *testing.T) []claimSummary {
	t.Helper()
	claims, err := sb.NodeClaims(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []claimSummary
	for _, c := range claims {
		if c.Status.ProviderID == "" || c.DeletionTimestamp != nil {
			continue
		}
		out = append(out, claimSummary{c.Name, c.Labels[corev1.LabelInstanceTypeStable], c.Labels[corev1.LabelTopologyZone],
			c.Labels[v1.CapacityTypeLabelKey]})
	}
	return out
}

// cheapest is the lowest price of the types' offerings of capacityType, leaving out the types named in except.
func cheapest(types []*cloudprovider.InstanceType, capacityType string, except []string) float64 {
	best := math.Inf(1)
	for _, it := range types {
		if slices.Contains(except, it.Name) {
			continue
		}
		for _, o := range it.Offerings {
			if o.CapacityType == capacityType {
				best = min(best, o.Price)
			}
		}
	}
	return best
}
