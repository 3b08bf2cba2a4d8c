package chart

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
)

// envValue is the literal value of the controller container's environment variable name, or "".
func envValue(d *appsv1.Deployment, name string) string {
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func isTrue(b *bool) bool { return b != nil && *b }

// matchesNode reports whether the scheduler would let a pod with this required node affinity onto node, using
// the scheduler's own matching.
func matchesNode(t *testing.T, required *corev1.NodeSelector, node *corev1.Node) bool {
	t.Helper()
	ok, err := corev1helpers.MatchNodeSelectorTerms(node, required)
	if err != nil {
		t.Fatalf("evaluating node affinity %+v: %v", required, err)
	}
	return ok
}

// selects reports whether a non-empty label selector matches the given labels; an empty selector would match
// every pod in the namespace, which is never what a chart means.
func selects(t *testing.T, selector *metav1.LabelSelector, set labels.Set) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		t.Fatalf("label selector %+v: %v", selector, err)
	}
	return !s.Empty() && s.Matches(set)
}

// unstructuredOfKind returns the rendered objects of a kind the scheme does not know, such as ServiceMonitor.
func unstructuredOfKind(m manifests, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range all[*unstructured.Unstructured](m) {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}
