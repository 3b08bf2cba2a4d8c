package provisioning_test

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

func TestNodeClaimRequirementsFollowTheOptions(t *testing.T) {
	three, two := 3, 2
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "general", UID: "pool-uid"}}
	np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{
		{Key: labelCPU, Operator: corev1.NodeSelectorOpExists, MinValues: &two},
		{Key: "example.com/generation", Operator: corev1.NodeSelectorOpGt, Values: []string{"4"}},
		{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpExists, MinValues: &three},
	}
	types := map[string]*cloudprovider.InstanceType{}
	for _, it := range instanceTypes() {
		types[it.Name] = it
	}
	// The plan's requirements: the pool's, intersected with the labels of its cheapest option (medium).
	reqs := scheduling.FromNodePoolRequirements(np.Spec.Template.Spec.Requirements...)
	reqs.AddAll(scheduling.FromLabels(map[string]string{
		corev1.LabelInstanceTypeStable: "medium", labelCPU: "4", corev1.LabelTopologyZone: zone, v1.CapacityTypeLabelKey: v1.CapacityTypeOnDemand,
		v1.NodePoolLabelKey: np.Name,
	}))
	planned := &solver.NewNodeClaim{
		NodePool: np.Name, InstanceType: "medium", Zone: zone, CapacityType: v1.CapacityTypeOnDemand,
		Labels:              map[string]string{corev1.LabelInstanceTypeStable: "medium", labelCPU: "4"},
		Requirements:        reqs,
		InstanceTypeOptions: []solver.InstanceTypeOption{{Name: "medium"}, {Name: "small"}, {Name: "large"}},
	}
	nc := provisioning.NodeClaim(np, planned, types)
	got := map[string]v1.NodeSelectorRequirementWithMinValues{}
	for _, r := range nc.Spec.Requirements {
		got[r.Key] = r
	}
	tests := []struct {
		key       string
		op        corev1.NodeSelectorOperator
		values    []string
		minValues int
	}{
		// The options in the plan's order, the chosen one first, with the pool's minValues.
		{corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, []string{"medium", "small", "large"}, 3},
		// A label the types define spans the options, not the cheapest option's value.
		{labelCPU, corev1.NodeSelectorOpIn, []string{"2", "4", "8"}, 2},
		// The offering decides zone and capacity type; the pool's other requirements pass through.
		{corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, []string{zone}, 0},
		{v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, []string{v1.CapacityTypeOnDemand}, 0},
		{"example.com/generation", corev1.NodeSelectorOpGt, []string{"4"}, 0},
		{v1.NodePoolLabelKey, corev1.NodeSelectorOpIn, []string{np.Name}, 0},
	}
	for _, tt := range tests {
		r, ok := got[tt.key]
		if !ok {
			t.Errorf("no requirement on %s in %+v", tt.key, nc.Spec.Requirements)
			continue
		}
		mv := 0
		if r.MinValues != nil {
			mv = *r.MinValues
		}
		if r.Operator != tt.op || !slices.Equal(r.Values, tt.values) || mv != tt.minValues {
			t.Errorf("%s: got %s %v minValues %d, want %s %v minValues %d", tt.key, r.Operator, r.Values, mv, tt.op, tt.values, tt.minValues)
		}
	}
	if len(nc.Spec.Requirements) != len(tests) {
		t.Errorf("%d requirements, want %d: %+v", len(nc.Spec.Requirements), len(tests), nc.Spec.Requirements)
	}
	if nc.GenerateName != "general-" || nc.Labels[v1.NodePoolLabelKey] != np.Name || nc.OwnerReferences[0].UID != np.UID {
		t.Errorf("metadata %+v, want generateName general-, the pool label and the pool as owner", nc.ObjectMeta)
	}
}
