package scheduling

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

func TestPoolUsage(t *testing.T) {
	u := PoolUsage{}
	if n := u.Of("empty")[v1.ResourceNodes]; n.Value() != 0 {
		t.Errorf("empty pool: nodes = %s, want 0", n.String())
	}
	u.Add("a", corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")})
	u.Add("a", corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi")})
	got := u.Of("a")
	cpu, mem, nodes := got[corev1.ResourceCPU], got[corev1.ResourceMemory], got[v1.ResourceNodes]
	if cpu.String() != "2500m" || mem.String() != "1Gi" || nodes.Value() != 2 {
		t.Errorf("usage = cpu %s, memory %s, nodes %s; want 2500m, 1Gi, 2", cpu.String(), mem.String(), nodes.String())
	}
}
