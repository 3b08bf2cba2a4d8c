package scheduling

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DaemonSetOverhead sums the requests of the DaemonSet pods (given as the pods their templates produce)
// that would run on a node described by node and carrying taints: those whose nodeSelector and required
// node affinity the node can satisfy and that tolerate the taints. Keys the node does not define count as
// absent, so a DaemonSet selecting a label no such node has is left out. Each included pod also takes one
// "pods" slot.
func DaemonSetOverhead(daemonSetPods []*corev1.Pod, node Requirements, taints []corev1.Taint) corev1.ResourceList {
	total := corev1.ResourceList{}
	for _, pod := range daemonSetPods {
		if !RunsOn(pod, node, taints) {
			continue
		}
		for name, q := range PodRequests(pod) {
			sum := total[name]
			sum.Add(q)
			total[name] = sum
		}
	}
	return total
}

// RunsOn reports whether pod may be placed on a node described by node (keys it does not define count as
// absent) and carrying taints.
func RunsOn(pod *corev1.Pod, node Requirements, taints []corev1.Taint) bool {
	if Tolerates(pod.Spec.Tolerations, taints) != nil {
		return false
	}
	for _, alternative := range PodRequirements(pod) {
		if alternative.Compatible(node, nil) == nil {
			return true
		}
	}
	return false
}

func resourceOne() *resource.Quantity { return resource.NewQuantity(1, resource.DecimalSI) }
