package disruption_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/disruption"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func setRequirements(reqs ...v1.NodeSelectorRequirementWithMinValues) func(*v1.NodePoolSpec) {
	return func(s *v1.NodePoolSpec) { s.Template.Spec.Requirements = reqs }
}

// TestNarrowedZonesDriftTheNodesLeftOutside narrows the pool's zones away from the node's: it drifts, naming the
// zone key and its value; allowing the zone again clears it.
func TestNarrowedZonesDriftTheNodesLeftOutside(t *testing.T) {
	f := setup(t)
	np := pool(t)
	nc := launched(t, np)
	inB := launched(t, np, test.WithLabels(corev1.LabelTopologyZone, "zone-b"))

	editPool(t, np, setRequirements(test.Requirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-b")))
	nc = f.reconcile(t, nc)
	expectDrifted(t, nc, string(disruption.RequirementsDrift), corev1.LabelTopologyZone+"=zone-a", np.Name, "zone-b")
	f.expectEvents(t, 1, "Drifted", string(disruption.RequirementsDrift), corev1.LabelTopologyZone)
	expectNotDrifted(t, f.reconcile(t, inB))

	editPool(t, np, setRequirements(test.Requirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a", "zone-b")))
	expectNotDrifted(t, f.reconcile(t, nc))
	f.expectEvents(t, 0)
}

// TestWideningRequirementsDriftsNothing: requirements are compared by meaning, so allowing more zones, types or
// capacity types leaves every node in place, even though the pool's spec changed.
func TestWideningRequirementsDriftsNothing(t *testing.T) {
	f := setup(t)
	np := pool(t)
	nc := launched(t, np)
	editPool(t, np, setRequirements(
		test.Requirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a", "zone-b", "zone-c"),
		test.Requirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpNotIn, "t3.nano"),
		test.Requirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand, v1.CapacityTypeSpot),
		test.Requirement("example.com/team", corev1.NodeSelectorOpDoesNotExist),
	))
	expectNotDrifted(t, f.reconcile(t, nc))
	f.expectEvents(t, 0)
}

func TestRequirementsDriftCases(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct {
		name      string
		reqs      []v1.NodeSelectorRequirementWithMinValues
		fragments []string // empty: not drifted
	}{
		{"capacity type narrowed to spot",
			[]v1.NodeSelectorRequirementWithMinValues{test.Requirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeSpot)},
			[]string{v1.CapacityTypeLabelKey + "=on-demand"}},
		{"instance type excluded",
			[]v1.NodeSelectorRequirementWithMinValues{test.Requirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpNotIn, "m5.large")},
			[]string{corev1.LabelInstanceTypeStable + "=m5.large", "NotIn"}},
		{"architecture no longer allowed",
			[]v1.NodeSelectorRequirementWithMinValues{test.Requirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "arm64")},
			[]string{corev1.LabelArchStable + "=amd64"}},
		{"a label the node lacks is now required",
			[]v1.NodeSelectorRequirementWithMinValues{test.Requirement("example.com/team", corev1.NodeSelectorOpIn, "payments")},
			[]string{"no label example.com/team"}},
		{"the first key in order is named",
			[]v1.NodeSelectorRequirementWithMinValues{
				test.Requirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-c"),
				test.Requirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "arm64"),
			},
			[]string{corev1.LabelArchStable + "=amd64"}},
		{"a NotIn on a label the node lacks", []v1.NodeSelectorRequirementWithMinValues{
			test.Requirement("example.com/team", corev1.NodeSelectorOpNotIn, "payments")}, nil},
		{"an Exists the node satisfies", []v1.NodeSelectorRequirementWithMinValues{
			test.Requirement(corev1.LabelArchStable, corev1.NodeSelectorOpExists)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			np := pool(t, func(o client.Object) { o.(*v1.NodePool).Spec.Template.Spec.Requirements = tc.reqs })
			nc := f.reconcile(t, launched(t, np))
			f.events()
			if len(tc.fragments) == 0 {
				expectNotDrifted(t, nc)
				return
			}
			expectDrifted(t, nc, string(disruption.RequirementsDrift), tc.fragments...)
		})
	}
}

// TestTemplateDriftIsReportedFirst: a node that fails both checks reports the template change, the one that
// explains the other.
func TestTemplateDriftIsReportedFirst(t *testing.T) {
	f := setup(t)
	np := pool(t)
	nc := launched(t, np)
	editPool(t, np, func(s *v1.NodePoolSpec) {
		s.Template.ObjectMeta.Labels = map[string]v1.LabelValue{"team": "b"}
		s.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{
			test.Requirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-b"),
		}
	})
	expectDrifted(t, f.reconcile(t, nc), string(disruption.NodePoolDrift))
	f.events()
}
