package v1

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pinnedHashV1 is hashPool's hash under NodePoolHashVersion v1. If it changes, every existing claim would look
// drifted after an upgrade: change the algorithm only together with NodePoolHashVersion, and update both.
const pinnedHashV1 = "bb865952ce907892"

func hashPool() *NodePool {
	weight := int32(10)
	return &NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: "default", Generation: 4},
		Spec: NodePoolSpec{
			Template: NodeClaimTemplate{
				ObjectMeta: ObjectMeta{
					Labels:      map[string]LabelValue{"team": "payments", "tier": "web", "example.com/a": "1"},
					Annotations: map[string]string{"example.com/owner": "sre", "example.com/cost-center": "42"},
				},
				Spec: NodeClaimTemplateSpec{
					Taints: []Taint{
						{Key: "dedicated", Value: "payments", Effect: corev1.TaintEffectNoSchedule},
						{Key: "example.com/gpu", Effect: corev1.TaintEffectNoExecute},
					},
					StartupTaints: []Taint{{Key: "node.cilium.io/agent-not-ready", Effect: corev1.TaintEffectNoExecute}},
					Requirements: []NodeSelectorRequirementWithMinValues{
						{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"us-east-1a", "us-east-1b"}},
					},
					NodeClassRef:           &NodeClassReference{Group: "aws.stevedore.dev", Kind: "EC2NodeClass", Name: "default"},
					TerminationGracePeriod: &metav1.Duration{Duration: time.Hour},
					ExpireAfter:            MustParseNillableDuration("720h"),
				},
			},
			Disruption: Disruption{ConsolidateAfter: MustParseNillableDuration("30s")},
			Limits:     corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100")},
			Weight:     &weight,
		},
	}
}

func TestNodePoolHashIsPinned(t *testing.T) {
	if got := hashPool().Hash(); NodePoolHashVersion != "v1" || got != pinnedHashV1 {
		t.Errorf("Hash() = %s under version %s, pinned %s under v1: a new algorithm needs a new NodePoolHashVersion",
			got, NodePoolHashVersion, pinnedHashV1)
	}
}

// TestNodePoolHashIgnoresOrder rebuilds the pool's maps in another insertion order and lists its taints the
// other way round: neither changes what a node carries, so neither may change the hash.
func TestNodePoolHashIgnoresOrder(t *testing.T) {
	want := hashPool().Hash()
	for range 20 {
		np := hashPool()
		tmpl := &np.Spec.Template
		labels := map[string]LabelValue{}
		for _, k := range []string{"tier", "example.com/a", "team"} {
			labels[k] = tmpl.ObjectMeta.Labels[k]
		}
		annotations := map[string]string{}
		for _, k := range []string{"example.com/cost-center", "example.com/owner"} {
			annotations[k] = tmpl.ObjectMeta.Annotations[k]
		}
		tmpl.ObjectMeta.Labels, tmpl.ObjectMeta.Annotations = labels, annotations
		taints := tmpl.Spec.Taints
		taints[0], taints[1] = taints[1], taints[0]
		if got := np.Hash(); got != want {
			t.Fatalf("Hash() = %s after reordering, want %s", got, want)
		}
	}
	empty, unset := hashPool(), hashPool()
	empty.Spec.Template.ObjectMeta.Annotations, unset.Spec.Template.ObjectMeta.Annotations = map[string]string{}, nil
	empty.Spec.Template.Spec.StartupTaints, unset.Spec.Template.Spec.StartupTaints = []Taint{}, nil
	if empty.Hash() != unset.Hash() {
		t.Errorf("empty and unset annotations or startup taints hash differently: %s != %s", empty.Hash(), unset.Hash())
	}
}

func TestNodePoolHashCoversWhatMakesNodesStale(t *testing.T) {
	base := hashPool().Hash()
	for _, tc := range []struct {
		name    string
		edit    func(*NodePool)
		drifted bool
	}{
		{"a label value", func(np *NodePool) { np.Spec.Template.ObjectMeta.Labels["team"] = "search" }, true},
		{"a new label", func(np *NodePool) { np.Spec.Template.ObjectMeta.Labels["zone-group"] = "east" }, true},
		{"an annotation", func(np *NodePool) { np.Spec.Template.ObjectMeta.Annotations["example.com/owner"] = "dev" }, true},
		{"a taint effect", func(np *NodePool) { np.Spec.Template.Spec.Taints[0].Effect = corev1.TaintEffectNoExecute }, true},
		{"a taint removed", func(np *NodePool) { np.Spec.Template.Spec.Taints = np.Spec.Template.Spec.Taints[:1] }, true},
		{"a startup taint", func(np *NodePool) { np.Spec.Template.Spec.StartupTaints = nil }, true},
		{"a taint moved to startup taints", func(np *NodePool) {
			s := &np.Spec.Template.Spec
			s.StartupTaints = append(s.StartupTaints, s.Taints[1])
			s.Taints = s.Taints[:1]
		}, true},
		{"the node class name", func(np *NodePool) { np.Spec.Template.Spec.NodeClassRef.Name = "gpu" }, true},

		{"requirements", func(np *NodePool) {
			np.Spec.Template.Spec.Requirements[0].Values = append(np.Spec.Template.Spec.Requirements[0].Values, "us-east-1c")
		}, false},
		{"expireAfter", func(np *NodePool) { np.Spec.Template.Spec.ExpireAfter = MustParseNillableDuration("24h") }, false},
		{"terminationGracePeriod", func(np *NodePool) { np.Spec.Template.Spec.TerminationGracePeriod = nil }, false},
		{"disruption", func(np *NodePool) { np.Spec.Disruption.ConsolidateAfter = MustParseNillableDuration("5m") }, false},
		{"limits", func(np *NodePool) { np.Spec.Limits = nil }, false},
		{"weight", func(np *NodePool) { np.Spec.Weight = nil }, false},
		{"metadata and status", func(np *NodePool) {
			np.Generation, np.Labels = 9, map[string]string{"a": "b"}
			np.Status.Resources = corev1.ResourceList{ResourceNodes: resource.MustParse("3")}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			np := hashPool()
			tc.edit(np)
			if got := np.Hash() != base; got != tc.drifted {
				t.Errorf("changing %s: hash changed = %v, want %v", tc.name, got, tc.drifted)
			}
		})
	}
}
