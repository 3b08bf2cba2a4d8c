package disruption_test

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

// expectSamePlans fails unless every candidate's simulation plans the same with the solver handed lightened
// nodes as with the nodes as they are.
func expectSamePlans(t *testing.T, in *disruption.Input) {
	t.Helper()
	lightened, whole := disruption.SimulateEachBothWays(in)
	if len(whole) == 0 {
		t.Fatal("no candidate was simulated")
	}
	for name, want := range whole {
		if got := lightened[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("removing %s plans\n%+v\nwith lightened nodes, want\n%+v", name, got, want)
		}
	}
}

func TestLightenedNodesPlanAsWholeOnes(t *testing.T) {
	expectSamePlans(t, generateCluster(t, fixturePool(), fixtureNodeTypes, 40, 5))
}

// The running pods the solver reads more of than requests and labels stay as they are: host ports, pod
// anti-affinity, overhead; requests it rounds (a fraction of a millicore) round as they would have.
func TestLightenedNodesKeepWhatTheSolverReads(t *testing.T) {
	w := newWorld(false)
	ported := pods("ingress", 2, "500m", "1Gi")
	for _, p := range ported {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8443, HostPort: 443}}
	}
	lonely := pods("db", 2, "1", "2Gi")
	for _, p := range lonely {
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
		}}}}
	}
	heavy := pods("vm", 1, "1", "1Gi")
	heavy[0].Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}
	odd := pods("odd", 3, "333333u", "700000001")
	w.node("a", "large", append(append(ported[:1:1], lonely[0]), odd...)...)
	w.node("b", "large", append(ported[1:], lonely[1], heavy[0])...)
	w.node("c", "xlarge", pods("web", 3, "1", "1Gi")...)
	w.node("d", "medium", pods("batch", 2, "1", "2Gi")...)
	w.node("e", "medium", pods("db-client", 1, "250m", "1Gi")...)
	expectSamePlans(t, w.input())
}
