package scheduling

import (
	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"
)

// PodRequests returns what the pod asks the scheduler for: the larger of its containers' sum and its
// largest init container (restartable sidecars counted alongside the containers), plus pod overhead,
// honouring pod-level resources — the same arithmetic the kube-scheduler uses. A pod always counts one
// "pods" slot.
func PodRequests(pod *corev1.Pod) corev1.ResourceList {
	requests := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	requests[corev1.ResourcePods] = *resourceOne()
	return requests
}

// PodRequirements returns the node requirements a pod strictly needs, one alternative per required
// node-affinity term (the terms are ORed), each combined with the pod's nodeSelector. A pod without
// required node affinity has a single alternative: its nodeSelector.
func PodRequirements(pod *corev1.Pod) []Requirements {
	selector := FromLabels(pod.Spec.NodeSelector)
	affinity := pod.Spec.Affinity
	if affinity == nil || affinity.NodeAffinity == nil || affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return []Requirements{selector}
	}
	terms := affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	out := make([]Requirements, 0, len(terms))
	for _, term := range terms {
		reqs := selector.Copy()
		reqs.AddAll(FromNodeSelectorRequirements(term.MatchExpressions...))
		out = append(out, reqs)
	}
	return out
}
