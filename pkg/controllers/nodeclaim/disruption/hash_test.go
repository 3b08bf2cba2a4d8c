package disruption_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/disruption"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// TestTemplateChangeDriftsAndRevertClears edits a pool's template label: its node drifts (once, with one event)
// and stops being drifted when the edit is reverted.
func TestTemplateChangeDriftsAndRevertClears(t *testing.T) {
	f := setup(t)
	np := pool(t, func(o client.Object) {
		o.(*v1.NodePool).Spec.Template.ObjectMeta.Labels = map[string]v1.LabelValue{"team": "a"}
	})
	nc := launched(t, np)
	before := np.Hash()

	expectNotDrifted(t, f.reconcile(t, nc))
	f.expectEvents(t, 0)

	editPool(t, np, func(s *v1.NodePoolSpec) { s.Template.ObjectMeta.Labels["team"] = "b" })
	nc = f.reconcile(t, nc)
	expectDrifted(t, nc, string(disruption.NodePoolDrift), np.Name, before, np.Hash())
	f.expectEvents(t, 1, "Drifted", string(disruption.NodePoolDrift), np.Name)
	if got := nc.Conditions().Root(); got == nil || got.Status != "True" {
		t.Errorf("Ready = %+v after drifting, want it untouched (True): Drifted is informational", got)
	}

	// Still drifted on the next pass: no second event, no write.
	f.writes.Store(0)
	expectDrifted(t, f.reconcile(t, nc), string(disruption.NodePoolDrift))
	f.expectEvents(t, 0)
	if n := f.writes.Load(); n != 0 {
		t.Errorf("%d writes for a claim whose drift did not change, want none", n)
	}

	editPool(t, np, func(s *v1.NodePoolSpec) { s.Template.ObjectMeta.Labels["team"] = "a" })
	expectNotDrifted(t, f.reconcile(t, nc))
	f.expectEvents(t, 0)
}

// TestClaimsWithoutAComparableHashAreStamped: a claim made before hashes existed, or stamped by another hash
// version, is given the pool's current hash instead of being replaced; later template edits then drift it.
func TestClaimsWithoutAComparableHashAreStamped(t *testing.T) {
	f := setup(t)
	np := pool(t)
	for name, opt := range map[string]test.Option{
		"no annotation": withoutAnnotations(),
		"another version": test.WithAnnotations(v1.NodePoolHashAnnotationKey, "0123456789abcdef",
			v1.NodePoolHashVersionAnnotationKey, "v0"),
	} {
		t.Run(name, func(t *testing.T) {
			nc := launched(t, np, opt)
			nc = f.reconcile(t, nc)
			expectNotDrifted(t, nc)
			if got, v := nc.Annotations[v1.NodePoolHashAnnotationKey], nc.Annotations[v1.NodePoolHashVersionAnnotationKey]; got != np.Hash() || v != v1.NodePoolHashVersion {
				t.Errorf("stamped %s (version %s), want the pool's %s (version %s)", got, v, np.Hash(), v1.NodePoolHashVersion)
			}
		})
	}
	nc := launched(t, np, withoutAnnotations())
	f.reconcile(t, nc)
	editPool(t, np, func(s *v1.NodePoolSpec) {
		s.Template.Spec.Taints = []v1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	})
	expectDrifted(t, f.reconcile(t, nc), string(disruption.NodePoolDrift))
	f.events() // drop the Drifted event; other tests count them
}

// TestEditsThatLeaveNodesCurrentDoNotDrift changes what the hash excludes: nothing drifts.
func TestEditsThatLeaveNodesCurrentDoNotDrift(t *testing.T) {
	f := setup(t)
	np := pool(t)
	nc := launched(t, np)
	editPool(t, np, func(s *v1.NodePoolSpec) {
		s.Template.Spec.ExpireAfter = v1.MustParseNillableDuration("24h")
		s.Disruption.ConsolidateAfter = v1.MustParseNillableDuration("10m")
		weight := int32(50)
		s.Weight = &weight
	})
	expectNotDrifted(t, f.reconcile(t, nc))
}

// TestProvisionedClaimsCarryTheirPoolsHash builds a claim as the provisioner does: it is stamped with its pool's
// hash, so the drift controller finds nothing to stamp and nothing drifted.
func TestProvisionedClaimsCarryTheirPoolsHash(t *testing.T) {
	f := setup(t)
	np := pool(t, func(o client.Object) {
		o.(*v1.NodePool).Spec.Template.ObjectMeta.Annotations = map[string]string{"example.com/owner": "sre"}
	})
	built := provisioning.NodeClaim(np, &solver.NewNodeClaim{
		NodePool: np.Name, InstanceType: "m5.large", Zone: "zone-a", CapacityType: v1.CapacityTypeOnDemand,
		Labels: map[string]string{corev1.LabelTopologyZone: "zone-a", corev1.LabelInstanceTypeStable: "m5.large"},
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a")),
	}, map[string]*cloudprovider.InstanceType{})
	if got := built.Annotations[v1.NodePoolHashAnnotationKey]; got != np.Hash() ||
		built.Annotations[v1.NodePoolHashVersionAnnotationKey] != v1.NodePoolHashVersion {
		t.Fatalf("provisioned claim annotations %v, want the pool's hash %s under %s", built.Annotations, np.Hash(), v1.NodePoolHashVersion)
	}
	if built.Annotations["example.com/owner"] != "sre" {
		t.Errorf("provisioned claim annotations %v lost the template's", built.Annotations)
	}
	nc := launched(t, np, withoutAnnotations(), test.WithAnnotations(
		v1.NodePoolHashAnnotationKey, built.Annotations[v1.NodePoolHashAnnotationKey],
		v1.NodePoolHashVersionAnnotationKey, built.Annotations[v1.NodePoolHashVersionAnnotationKey]))
	f.writes.Store(0)
	expectNotDrifted(t, f.reconcile(t, nc))
	if n := f.writes.Load(); n != 0 {
		t.Errorf("%d writes for a freshly provisioned claim, want none", n)
	}
}
