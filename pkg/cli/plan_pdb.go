package cli

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// pdbsWithStatus returns the PodDisruptionBudgets with the status disruption reads. A budget that has a status
// (read from a cluster, or from `kubectl get -o yaml`) keeps it; a hand-written one has none, so its status is
// computed from the pods the way the cluster's disruption controller would, counting a pod bound to a node as
// healthy unless its Ready condition says otherwise. The inputs are not modified.
func pdbsWithStatus(pdbs []*policyv1.PodDisruptionBudget, pods []*corev1.Pod) []*policyv1.PodDisruptionBudget {
	out := make([]*policyv1.PodDisruptionBudget, 0, len(pdbs))
	for _, pdb := range pdbs {
		if !reflect.DeepEqual(pdb.Status, policyv1.PodDisruptionBudgetStatus{}) {
			out = append(out, pdb)
			continue
		}
		cp := pdb.DeepCopy()
		cp.Status = computedStatus(cp, pods)
		out = append(out, cp)
	}
	return out
}

func computedStatus(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod) policyv1.PodDisruptionBudgetStatus {
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		// The API server rejects such a selector; a budget that selects nothing blocks nothing.
		return policyv1.PodDisruptionBudgetStatus{}
	}
	var expected, healthy int32
	for _, p := range pods {
		if p.Namespace != pdb.Namespace || !sel.Matches(labels.Set(p.Labels)) || finished(p) {
			continue
		}
		expected++
		if p.Spec.NodeName != "" && ready(p) {
			healthy++
		}
	}
	desired := int32(0)
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		desired = max(0, expected-scaled(pdb.Spec.MaxUnavailable, expected))
	case pdb.Spec.MinAvailable != nil:
		desired = scaled(pdb.Spec.MinAvailable, expected)
	}
	return policyv1.PodDisruptionBudgetStatus{
		ExpectedPods: expected, CurrentHealthy: healthy, DesiredHealthy: desired,
		DisruptionsAllowed: max(0, healthy-desired),
	}
}

// scaled reads a count or a percentage of total, rounding up as the disruption controller does; a malformed
// value, which the API server rejects, counts as all of total.
func scaled(v *intstr.IntOrString, total int32) int32 {
	n, err := intstr.GetScaledValueFromIntOrPercent(v, int(total), true)
	if err != nil {
		return total
	}
	return int32(n)
}

func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || !p.DeletionTimestamp.IsZero()
}

// ready is false only for a pod whose Ready condition is present and not true: manifests rarely carry status.
func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return true
}
