package scheduling

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DaemonSets holds the pods a cluster's DaemonSets would create on a new node, prepared once so that the
// overhead of many candidate nodes (every instance type of every NodePool) is cheap to compute.
type DaemonSets struct {
	pods []daemonSetPod
}

type daemonSetPod struct {
	requirements []Requirements
	tolerations  []corev1.Toleration
	requests     corev1.ResourceList
}

// NewDaemonSets prepares the DaemonSet pods (as their templates would produce them).
func NewDaemonSets(pods []*corev1.Pod) *DaemonSets {
	ds := &DaemonSets{pods: make([]daemonSetPod, len(pods))}
	for i, p := range pods {
		ds.pods[i] = daemonSetPod{requirements: PodRequirements(p), tolerations: p.Spec.Tolerations, requests: PodRequests(p)}
	}
	return ds
}

// Overhead sums the requests of the DaemonSet pods that would run on a node described by node and carrying
// taints: those whose nodeSelector and required node affinity the node can satisfy and that tolerate the
// taints. Keys the node does not define count as absent, so a DaemonSet selecting a label no such node has is
// left out. Each included pod also takes one "pods" slot.
func (ds *DaemonSets) Overhead(node Requirements, taints []corev1.Taint) corev1.ResourceList {
	total := corev1.ResourceList{}
	for i := range ds.pods {
		p := &ds.pods[i]
		if !p.runsOn(node, taints) {
			continue
		}
		for name, q := range p.requests {
			sum := total[name]
			sum.Add(q)
			total[name] = sum
		}
	}
	return total
}

func (p *daemonSetPod) runsOn(node Requirements, taints []corev1.Taint) bool {
	if len(taints) > 0 && Tolerates(p.tolerations, taints) != nil {
		return false
	}
	for _, alternative := range p.requirements {
		if alternative.Compatible(node, nil) == nil {
			return true
		}
	}
	return false
}

// DaemonSetOverhead is NewDaemonSets(pods).Overhead(node, taints), for a single node.
func DaemonSetOverhead(pods []*corev1.Pod, node Requirements, taints []corev1.Taint) corev1.ResourceList {
	return NewDaemonSets(pods).Overhead(node, taints)
}

// RunsOn reports whether pod may be placed on a node described by node (keys it does not define count as
// absent) and carrying taints.
func RunsOn(pod *corev1.Pod, node Requirements, taints []corev1.Taint) bool {
	p := daemonSetPod{requirements: PodRequirements(pod), tolerations: pod.Spec.Tolerations}
	return p.runsOn(node, taints)
}

func resourceOne() *resource.Quantity { return resource.NewQuantity(1, resource.DecimalSI) }
