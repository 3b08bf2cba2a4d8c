package sandbox

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// demoImage is the demo's container image; kwok runs pods without pulling it, so it only has to be valid.
const demoImage = "registry.k8s.io/pause:3.10"

func objectMeta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app.kubernetes.io/part-of": "stevedore-demo"}}
}

// webTier is many small pods that must stay balanced across zones and mostly available.
func webTier(replicas int32) []client.Object {
	d := deployment("web", replicas, "500m", "1Gi")
	d.Spec.Template.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
		spread("web", corev1.LabelTopologyZone, corev1.DoNotSchedule),
	}
	minAvailable := intstr.FromString("80%")
	return []client.Object{d, pdb("web", &minAvailable, nil)}
}

// apiTier is a few large pods that prefer separate nodes but run together when they must.
func apiTier(replicas int32) []client.Object {
	d := deployment("api", replicas, "2", "4Gi")
	d.Spec.Template.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
		spread("api", corev1.LabelHostname, corev1.ScheduleAnyway),
	}
	maxUnavailable := intstr.FromInt32(1)
	return []client.Object{d, pdb("api", nil, &maxUnavailable)}
}

// batchTier is interruptible work that asks for spot capacity, which Stevedore prices and launches apart.
func batchTier(replicas int32) []client.Object {
	d := deployment("batch", replicas, "4", "16Gi")
	d.Spec.Template.Spec.NodeSelector = map[string]string{v1.CapacityTypeLabelKey: v1.CapacityTypeSpot}
	return []client.Object{d}
}

func deployment(name string, replicas int32, cpu, memory string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: objectMeta(DemoNamespace, name),
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  name,
					Image: demoImage,
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse(cpu),
						corev1.ResourceMemory: resource.MustParse(memory),
					}},
				}}},
			},
		},
	}
	d.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
	return d
}

func spread(app, topologyKey string, when corev1.UnsatisfiableConstraintAction) corev1.TopologySpreadConstraint {
	return corev1.TopologySpreadConstraint{
		MaxSkew: 1, TopologyKey: topologyKey, WhenUnsatisfiable: when,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
	}
}

func pdb(app string, minAvailable, maxUnavailable *intstr.IntOrString) *policyv1.PodDisruptionBudget {
	p := &policyv1.PodDisruptionBudget{
		ObjectMeta: objectMeta(DemoNamespace, app),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: minAvailable, MaxUnavailable: maxUnavailable,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
		},
	}
	p.SetGroupVersionKind(policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"))
	return p
}

// toUnstructured turns a typed object, its kind set, into what apply sends, without the empty status and
// timestamps that converting a typed object adds and that an applied configuration must not claim.
func toUnstructured(o client.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("converting %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
	}
	unstructured.RemoveNestedField(m, "status")
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(m, "spec", "template", "metadata", "creationTimestamp")
	return &unstructured.Unstructured{Object: m}, nil
}
