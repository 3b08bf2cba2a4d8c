package fleet

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// typ builds an instance type with cpu cores, on-demand and (when spot > 0) spot offerings in zones a and b.
func typ(name string, cpu int64, onDemand, spot float64, extra ...*scheduling.Requirement) *cloudprovider.InstanceType {
	capacityTypes := []string{v1.CapacityTypeOnDemand}
	if spot > 0 {
		capacityTypes = append(capacityTypes, v1.CapacityTypeSpot)
	}
	// As pkg/aws/instancetype builds them: zones and capacity types from the offerings, DoesNotExist for
	// hardware the type lacks.
	reqs := scheduling.NewRequirements(
		scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
		scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "a", "b"),
		scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, capacityTypes...),
		scheduling.NewRequirement(awsv1.LabelInstanceGPUCount, corev1.NodeSelectorOpDoesNotExist),
	)
	for _, r := range extra {
		reqs[r.Key] = r
	}
	var offerings cloudprovider.Offerings
	for _, z := range []string{"a", "b"} {
		offerings = append(offerings, cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeOnDemand, Price: onDemand, Available: true})
		if spot > 0 {
			offerings = append(offerings, cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeSpot, Price: spot, Available: true})
		}
	}
	return &cloudprovider.InstanceType{Name: name, Requirements: reqs, Offerings: offerings,
		Capacity: corev1.ResourceList{corev1.ResourceCPU: *resource.NewQuantity(cpu, resource.DecimalSI)}}
}

func claim(cpu string, reqs ...v1.NodeSelectorRequirementWithMinValues) *v1.NodeClaim {
	nc := &v1.NodeClaim{}
	nc.Spec.Requirements = reqs
	nc.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	return nc
}

func allow(key string, values ...string) v1.NodeSelectorRequirementWithMinValues {
	return v1.NodeSelectorRequirementWithMinValues{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}
}

func TestChooseSpotWhenAllowedAndCheaper(t *testing.T) {
	types := []*cloudprovider.InstanceType{
		typ("small", 2, 0.10, 0.03),
		typ("medium", 4, 0.20, 0.25), // spot dearer than on-demand: dropped
		typ("large", 8, 0.40, 0.12),
	}
	c, err := Choose(claim("1", allow(v1.CapacityTypeLabelKey, "spot", "on-demand")), types)
	if err != nil {
		t.Fatal(err)
	}
	if c.CapacityType != v1.CapacityTypeSpot {
		t.Fatalf("capacity type %s, want spot", c.CapacityType)
	}
	got := fmt.Sprint(c.Candidates)
	if got != "[{small a 0.03} {small b 0.03} {large a 0.12} {large b 0.12}]" {
		t.Errorf("candidates %s", got)
	}
	c, _ = Choose(claim("1", allow(v1.CapacityTypeLabelKey, "on-demand"), allow(corev1.LabelTopologyZone, "b")), types)
	if c.CapacityType != v1.CapacityTypeOnDemand || fmt.Sprint(c.Candidates) != "[{small b 0.1} {medium b 0.2} {large b 0.4}]" {
		t.Errorf("on-demand in zone b: %+v", c)
	}
}

func TestChooseSkipsTypesThatDoNotFitOrAreUnavailable(t *testing.T) {
	small, large := typ("small", 2, 0.10, 0), typ("large", 8, 0.40, 0)
	small.Offerings[0].Available = false
	c, err := Choose(claim("4"), []*cloudprovider.InstanceType{small, large})
	if err != nil || len(c.Candidates) != 2 || c.Candidates[0].InstanceType != "large" {
		t.Errorf("4 cpu fits only large: %+v %v", c, err)
	}
	c, _ = Choose(claim("1"), []*cloudprovider.InstanceType{small, large})
	if c.Candidates[0] != (Candidate{InstanceType: "small", Zone: "b", Price: 0.10}) {
		t.Errorf("small in zone a is out of capacity; got %+v", c.Candidates)
	}
	// No type fits at all: not a capacity shortage (deleting the claim would not help) but data not loaded
	// yet, so the launch is retried.
	_, err = Choose(claim("64"), []*cloudprovider.InstanceType{small, large})
	if err == nil || cloudprovider.IsInsufficientCapacityError(err) || !strings.Contains(err.Error(), "none of the instance types known now fits") {
		t.Errorf("too big: %v", err)
	}
	// Types fit but none is available: that is a shortage.
	large.Offerings[0].Available, large.Offerings[1].Available = false, false
	_, err = Choose(claim("4"), []*cloudprovider.InstanceType{small, large})
	if !cloudprovider.IsInsufficientCapacityError(err) || !strings.Contains(err.Error(), "no available offering") {
		t.Errorf("no capacity: %v", err)
	}
}

func TestChooseSpecialHardwareOnlyWhenAsked(t *testing.T) {
	gpu := typ("g5.xlarge", 4, 1.0, 0, scheduling.NewRequirement(awsv1.LabelInstanceGPUCount, corev1.NodeSelectorOpIn, "1"))
	metal := typ("m5.metal", 96, 4.6, 0, scheduling.NewRequirement(awsv1.LabelInstanceSize, corev1.NodeSelectorOpIn, "metal"))
	plain := typ("m5.large", 2, 0.096, 0)
	types := []*cloudprovider.InstanceType{gpu, metal, plain}
	c, _ := Choose(claim("1"), types)
	if len(c.Candidates) != 2 || c.Candidates[0].InstanceType != "m5.large" {
		t.Errorf("ordinary pods got %+v", c.Candidates)
	}
	if _, err := Choose(claim("3"), []*cloudprovider.InstanceType{gpu, metal}); err == nil {
		t.Error("GPU and metal types were used for a claim that did not ask for them")
	}
	asked := claim("1", v1.NodeSelectorRequirementWithMinValues{Key: awsv1.LabelInstanceGPUCount, Operator: corev1.NodeSelectorOpGt, Values: []string{"0"}})
	if c, err := Choose(asked, types); err != nil || c.Candidates[0].InstanceType != "g5.xlarge" {
		t.Errorf("a GPU claim got %+v %v", c, err)
	}
	nc := claim("1")
	nc.Spec.Resources.Requests["nvidia.com/gpu"] = resource.MustParse("1")
	gpu.Capacity["nvidia.com/gpu"] = resource.MustParse("1")
	if c, err := Choose(nc, types); err != nil || c.Candidates[0].InstanceType != "g5.xlarge" {
		t.Errorf("a claim requesting nvidia.com/gpu got %+v %v", c, err)
	}
}

func TestChooseKeepsSixtyTypesUnlessMinValuesNeedsMore(t *testing.T) {
	var types []*cloudprovider.InstanceType
	for i := range 80 {
		family := "f1"
		if i >= 70 {
			family = fmt.Sprintf("g%d", i)
		}
		types = append(types, typ(fmt.Sprintf("t%02d", i), 4, 0.1+0.001*float64(i), 0,
			scheduling.NewRequirement(awsv1.LabelInstanceFamily, corev1.NodeSelectorOpIn, family)))
	}
	distinct := func(c Choice) int {
		seen := map[string]bool{}
		for _, cand := range c.Candidates {
			seen[cand.InstanceType] = true
		}
		return len(seen)
	}
	c, _ := Choose(claim("1"), types)
	if distinct(c) != MaxInstanceTypes {
		t.Errorf("%d types, want %d", distinct(c), MaxInstanceTypes)
	}
	min := 3
	withMin := claim("1", v1.NodeSelectorRequirementWithMinValues{Key: awsv1.LabelInstanceFamily, Operator: corev1.NodeSelectorOpExists, MinValues: &min})
	c, _ = Choose(withMin, types)
	if distinct(c) != MaxInstanceTypes+2 {
		t.Errorf("%d types, want 62: the 60 cheapest share one family, two more reach minValues 3", distinct(c))
	}
}
