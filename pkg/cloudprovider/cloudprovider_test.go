package cloudprovider_test

import (
	"errors"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

func TestAllocatableAndAvailable(t *testing.T) {
	it := &cloudprovider.InstanceType{
		Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi")},
		Overhead: cloudprovider.Overhead{
			KubeReserved:      corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("70m"), corev1.ResourceMemory: resource.MustParse("600Mi")},
			SystemReserved:    corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100Mi")},
			EvictionThreshold: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100Mi")},
			DaemonSets:        corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
	}
	alloc, avail := it.Allocatable(), it.Available()
	if q := alloc[corev1.ResourceCPU]; q.Cmp(resource.MustParse("1930m")) != 0 {
		t.Errorf("allocatable cpu %s", q.String())
	}
	if q := alloc[corev1.ResourceMemory]; q.Cmp(resource.MustParse("224Mi")) != 0 {
		t.Errorf("allocatable memory %s", q.String())
	}
	if q := avail[corev1.ResourceCPU]; q.Cmp(resource.MustParse("1430m")) != 0 {
		t.Errorf("available cpu %s", q.String())
	}
	if q := avail[corev1.ResourceMemory]; !q.IsZero() {
		t.Errorf("available memory %s, want floored at zero", q.String())
	}
}

func TestOfferings(t *testing.T) {
	os := cloudprovider.Offerings{
		{Zone: "a", CapacityType: v1.CapacityTypeOnDemand, Price: 0.10, Available: true},
		{Zone: "a", CapacityType: v1.CapacityTypeSpot, Price: 0.03, Available: false},
		{Zone: "b", CapacityType: v1.CapacityTypeSpot, Price: 0.04, Available: true},
	}
	if c, ok := os.Available().Cheapest(); !ok || c.Zone != "b" {
		t.Errorf("cheapest available = %+v", c)
	}
	reqs := scheduling.NewRequirements(scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "a"))
	if got := os.Compatible(reqs); len(got) != 2 {
		t.Errorf("zone a offerings = %+v", got)
	}
	if _, ok := cloudprovider.Offerings(nil).Cheapest(); ok {
		t.Error("cheapest of nothing")
	}
	if got := os[2].Requirements().Labels(); got[corev1.LabelTopologyZone] != "b" || got[v1.CapacityTypeLabelKey] != "spot" {
		t.Errorf("offering labels %v", got)
	}
}

func TestTypedErrors(t *testing.T) {
	cause := errors.New("boom")
	for _, tc := range []struct {
		err error
		is  func(error) bool
	}{
		{cloudprovider.NewInsufficientCapacityError(cause), cloudprovider.IsInsufficientCapacityError},
		{cloudprovider.NewNodeClaimNotFoundError(cause), cloudprovider.IsNodeClaimNotFoundError},
		{cloudprovider.NewNodeClassNotReadyError(cause), cloudprovider.IsNodeClassNotReadyError},
	} {
		wrapped := fmt.Errorf("launching: %w", tc.err)
		if !tc.is(wrapped) || !errors.Is(wrapped, cause) {
			t.Errorf("%v: not recognised through wrapping", tc.err)
		}
		if tc.is(cause) {
			t.Errorf("%v recognised as a typed error", cause)
		}
	}
	if cloudprovider.IgnoreNodeClaimNotFoundError(cloudprovider.NewNodeClaimNotFoundError(cause)) != nil ||
		!errors.Is(cloudprovider.IgnoreNodeClaimNotFoundError(cause), cause) {
		t.Error("IgnoreNodeClaimNotFoundError")
	}
}
