package scheduling

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// PoolUsage sums, per NodePool, the capacity of its nodes and their number (v1.ResourceNodes): what the pool's
// spec.limits are checked against.
type PoolUsage map[string]corev1.ResourceList

// Add counts one node of the pool with the given capacity.
func (u PoolUsage) Add(pool string, capacity corev1.ResourceList) {
	total, ok := u[pool]
	if !ok {
		total = corev1.ResourceList{}
		u[pool] = total
	}
	for name, q := range capacity {
		sum := total[name]
		sum.Add(q)
		total[name] = sum
	}
	nodes := total[v1.ResourceNodes]
	nodes.Add(*resource.NewQuantity(1, resource.DecimalSI))
	total[v1.ResourceNodes] = nodes
}

// Of returns the pool's usage; a pool with no nodes uses nothing, and says so with nodes: 0.
func (u PoolUsage) Of(pool string) corev1.ResourceList {
	if total, ok := u[pool]; ok {
		return total
	}
	return corev1.ResourceList{v1.ResourceNodes: *resource.NewQuantity(0, resource.DecimalSI)}
}
