package fake

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

func instanceType(name string, price float64, zones ...string) *cloudprovider.InstanceType {
	var offerings cloudprovider.Offerings
	for _, z := range zones {
		offerings = append(offerings, cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeOnDemand, Price: price, Available: true})
	}
	return &cloudprovider.InstanceType{
		Name:         name,
		Requirements: scheduling.NewRequirements(scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name)),
		Offerings:    offerings,
		Capacity:     corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
	}
}

func TestFakeLaunchesCheapestCompatible(t *testing.T) {
	cp := New(instanceType("small", 0.05, "a"), instanceType("large", 0.20, "a", "b"))
	claim := &v1.NodeClaim{Spec: v1.NodeClaimSpec{Requirements: []v1.NodeSelectorRequirementWithMinValues{
		{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"b"}},
	}}}
	launched, err := cp.Create(t.Context(), claim)
	if err != nil {
		t.Fatal(err)
	}
	if launched.Labels[corev1.LabelInstanceTypeStable] != "large" || launched.Labels[corev1.LabelTopologyZone] != "b" {
		t.Errorf("launched %v, want the only type offered in zone b", launched.Labels)
	}
	if got, err := cp.Get(t.Context(), launched.Status.ProviderID); err != nil || got.Status.ProviderID != launched.Status.ProviderID {
		t.Errorf("Get = %v, %v", got, err)
	}
	if err := cp.Delete(t.Context(), launched); err != nil {
		t.Fatal(err)
	}
	if err := cp.Delete(t.Context(), launched); !cloudprovider.IsNodeClaimNotFoundError(err) {
		t.Errorf("second delete = %v, want NodeClaimNotFound", err)
	}
	if list, _ := cp.List(t.Context()); len(list) != 0 {
		t.Errorf("machines left: %d", len(list))
	}

	claim.Spec.Requirements[0].Values = []string{"c"}
	if _, err := cp.Create(t.Context(), claim); !cloudprovider.IsInsufficientCapacityError(err) {
		t.Errorf("no offering in zone c: got %v", err)
	}
	cp.NextCreateErr = errors.New("injected")
	if _, err := cp.Create(t.Context(), &v1.NodeClaim{}); err == nil || err.Error() != "injected" {
		t.Errorf("injected error not returned: %v", err)
	}
	if len(cp.CreateCalls) != 3 || len(cp.DeleteCalls) != 2 {
		t.Errorf("recorded %d creates and %d deletes", len(cp.CreateCalls), len(cp.DeleteCalls))
	}
}
