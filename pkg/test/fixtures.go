package test

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultNamespace is where namespaced fixtures go unless WithNamespace says otherwise.
const DefaultNamespace = "default"

func meta(prefix string, namespaced bool) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: RandomName(prefix)}
	if namespaced {
		m.Namespace = DefaultNamespace
	}
	return m
}

func selectorFor(labels map[string]string) *metav1.LabelSelector {
	m := make(map[string]string, len(labels))
	for k, v := range labels {
		m[k] = v
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func ownerRef(owner client.Object, kind string, controller *bool) metav1.OwnerReference {
	apiVersion := "v1"
	switch kind {
	case "ReplicaSet", "Deployment", "DaemonSet", "StatefulSet":
		apiVersion = "apps/v1"
	}
	return metav1.OwnerReference{
		APIVersion: apiVersion, Kind: kind, Name: owner.GetName(), UID: owner.GetUID(), Controller: controller,
	}
}

func podSpec() corev1.PodSpec {
	return corev1.PodSpec{
		Containers: []corev1.Container{{
			Name:  "app",
			Image: "registry.example/app:1",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("128Mi"),
			}},
		}},
	}
}

// Pod returns a pending pod requesting 100m CPU and 128Mi memory, labelled app=<its name>.
func Pod(opts ...Option) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: meta("pod", true), Spec: podSpec()}
	p.Labels = map[string]string{"app": p.Name}
	apply(p, opts)
	return p
}

// Deployment returns a one-replica Deployment of Pod-like pods.
func Deployment(replicas int32, opts ...Option) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: meta("deploy", true)}
	labels := map[string]string{"app": d.Name}
	d.Spec = appsv1.DeploymentSpec{
		Replicas: &replicas,
		Selector: selectorFor(labels),
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec()},
	}
	apply(d, opts)
	return d
}

// DaemonSet returns a DaemonSet whose pods request 100m CPU and 128Mi memory.
func DaemonSet(opts ...Option) *appsv1.DaemonSet {
	d := &appsv1.DaemonSet{ObjectMeta: meta("ds", true)}
	labels := map[string]string{"app": d.Name}
	d.Spec = appsv1.DaemonSetSpec{
		Selector: selectorFor(labels),
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec()},
	}
	apply(d, opts)
	return d
}

// PDB returns a PodDisruptionBudget over pods labelled app=<app> allowing maxUnavailable disruptions.
func PDB(app string, maxUnavailable int, opts ...Option) *policyv1.PodDisruptionBudget {
	mu := intstr.FromInt32(int32(maxUnavailable))
	p := &policyv1.PodDisruptionBudget{
		ObjectMeta: meta("pdb", true),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:       selectorFor(map[string]string{"app": app}),
			MaxUnavailable: &mu,
		},
	}
	apply(p, opts)
	return p
}

// Node returns a ready node with 4 CPUs, 16Gi memory and 110 pods allocatable.
func Node(opts ...Option) *corev1.Node {
	n := &corev1.Node{ObjectMeta: meta("node", false)}
	n.Labels = map[string]string{corev1.LabelHostname: n.Name}
	rl := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	n.Status = corev1.NodeStatus{
		Capacity:    rl,
		Allocatable: rl.DeepCopy(),
		Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
	}
	apply(n, opts)
	return n
}

// WithAllocatable sets a node's allocatable (and capacity) resources.
func WithAllocatable(rl corev1.ResourceList) Option {
	return func(o client.Object) {
		n := o.(*corev1.Node)
		n.Status.Allocatable, n.Status.Capacity = rl.DeepCopy(), rl.DeepCopy()
	}
}

// WithTaints adds taints to a Node.
func WithTaints(taints ...corev1.Taint) Option {
	return func(o client.Object) {
		n := o.(*corev1.Node)
		n.Spec.Taints = append(n.Spec.Taints, taints...)
	}
}

// StorageClass returns a WaitForFirstConsumer StorageClass for the EBS CSI driver.
func StorageClass(opts ...Option) *storagev1.StorageClass {
	mode := storagev1.VolumeBindingWaitForFirstConsumer
	s := &storagev1.StorageClass{
		ObjectMeta:        meta("sc", false),
		Provisioner:       "ebs.csi.aws.com",
		VolumeBindingMode: &mode,
	}
	apply(s, opts)
	return s
}

// PVC returns a 10Gi ReadWriteOnce claim on the given StorageClass.
func PVC(storageClass string, opts ...Option) *corev1.PersistentVolumeClaim {
	p := &corev1.PersistentVolumeClaim{
		ObjectMeta: meta("pvc", true),
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: &storageClass,
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			},
		},
	}
	apply(p, opts)
	return p
}

// PV returns a 10Gi EBS CSI volume pinned to zone by node affinity.
func PV(zone string, opts ...Option) *corev1.PersistentVolume {
	p := &corev1.PersistentVolume{
		ObjectMeta: meta("pv", false),
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				CSI: &corev1.CSIPersistentVolumeSource{Driver: "ebs.csi.aws.com", VolumeHandle: RandomName("vol")},
			},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zone},
				}}}},
			}},
		},
	}
	apply(p, opts)
	return p
}
