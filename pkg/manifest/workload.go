package manifest

import (
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// workload is a controller that stamps pods out of a template: a Deployment, ReplicaSet, StatefulSet or Job.
type workload struct {
	// owner is the reference each pod carries; expand fills in all but its kind and API version.
	owner    metav1.OwnerReference
	meta     *metav1.ObjectMeta
	template *corev1.PodTemplateSpec
	// pods is how many pods run at once.
	pods int32
	// firstOrdinal numbers a StatefulSet's pods (spec.ordinals.start); the others count from 0.
	firstOrdinal int32
	// claims are a StatefulSet's volumeClaimTemplates.
	claims []corev1.PersistentVolumeClaim
}

// asWorkload describes obj as a workload, or returns false when it is not one.
func asWorkload(obj runtime.Object) (workload, bool) {
	apps, batch := appsv1.SchemeGroupVersion.String(), batchv1.SchemeGroupVersion.String()
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return workload{owner: metav1.OwnerReference{APIVersion: apps, Kind: "Deployment"}, meta: &o.ObjectMeta,
			template: &o.Spec.Template, pods: ptr.Deref(o.Spec.Replicas, 1)}, true
	case *appsv1.ReplicaSet:
		return workload{owner: metav1.OwnerReference{APIVersion: apps, Kind: "ReplicaSet"}, meta: &o.ObjectMeta,
			template: &o.Spec.Template, pods: ptr.Deref(o.Spec.Replicas, 1)}, true
	case *appsv1.StatefulSet:
		w := workload{owner: metav1.OwnerReference{APIVersion: apps, Kind: "StatefulSet"}, meta: &o.ObjectMeta,
			template: &o.Spec.Template, pods: ptr.Deref(o.Spec.Replicas, 1), claims: o.Spec.VolumeClaimTemplates}
		if o.Spec.Ordinals != nil {
			w.firstOrdinal = o.Spec.Ordinals.Start
		}
		return w, true
	case *batchv1.Job:
		// A Job runs parallelism pods at once, never more than it needs completions, and none while suspended.
		pods := ptr.Deref(o.Spec.Parallelism, 1)
		if o.Spec.Completions != nil {
			pods = min(pods, *o.Spec.Completions)
		}
		if ptr.Deref(o.Spec.Suspend, false) {
			pods = 0
		}
		return workload{owner: metav1.OwnerReference{APIVersion: batch, Kind: "Job"}, meta: &o.ObjectMeta,
			template: &o.Spec.Template, pods: pods}, true
	}
	return workload{}, false
}

// expand adds the pods a workload would create, named <workload>-<index> (a StatefulSet's <name>-<ordinal>), and
// records the claims a StatefulSet would create for them.
func (r *reader) expand(where string, w workload) error {
	if w.pods < 0 {
		return fmt.Errorf("%s: %s %s would run %d pods; want at least 0", where, w.owner.Kind, w.meta.Name, w.pods)
	}
	if w.firstOrdinal < 0 {
		return fmt.Errorf("%s: %s %s: spec.ordinals.start %d must not be negative", where, w.owner.Kind, w.meta.Name, w.firstOrdinal)
	}
	if total := r.generated + int(w.pods)*(1+len(w.claims)); total > r.maxGenerated {
		return fmt.Errorf("%s: %s %s would bring the pods and claims created from workloads to %d; at most %d are supported",
			where, w.owner.Kind, w.meta.Name, total, r.maxGenerated)
	}
	r.generated += int(w.pods) * (1 + len(w.claims))
	w.owner.Name = w.meta.Name
	w.owner.UID = ownerUID(w.owner.Kind, w.meta)
	w.owner.Controller = ptr.To(true)
	w.owner.BlockOwnerDeletion = ptr.To(true)
	origin := fmt.Sprintf("%s (%s %s)", where, w.owner.Kind, w.meta.Name)
	for i := range w.pods {
		pod := templatePod(w.owner, w.meta.Namespace, fmt.Sprintf("%s-%d", w.meta.Name, int64(w.firstOrdinal)+int64(i)), w.template)
		for _, t := range w.claims {
			claim := &corev1.PersistentVolumeClaim{
				ObjectMeta: metav1.ObjectMeta{Name: t.Name + "-" + pod.Name, Namespace: pod.Namespace, Labels: maps.Clone(t.Labels)},
				Spec:       *t.Spec.DeepCopy(),
				Status:     corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
			}
			claim.Spec.VolumeName = "" // unbound until a node is chosen, whatever the template says
			r.claims = append(r.claims, claim)
			useClaim(&pod.Spec, t.Name, claim.Name)
		}
		if err := r.define(origin, "Pod", &pod.ObjectMeta, true); err != nil {
			return err
		}
		r.out.Pods = append(r.out.Pods, pod)
	}
	return nil
}

// ownerUID is the workload's UID, or a stable stand-in for manifests that carry none, so that the pods of one
// workload share an owner UID as they do in a cluster.
func ownerUID(kind string, meta *metav1.ObjectMeta) types.UID {
	if meta.UID != "" {
		return meta.UID
	}
	return types.UID(kind + "/" + meta.Namespace + "/" + meta.Name)
}

// templatePod is the pending pod a controller creates from a template.
func templatePod(owner metav1.OwnerReference, namespace, name string, t *corev1.PodTemplateSpec) *corev1.Pod {
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       namespace,
			Labels:          maps.Clone(t.Labels),
			Annotations:     maps.Clone(t.Annotations),
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Spec:   *t.Spec.DeepCopy(),
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	defaultRequests(&pod.Spec)
	return pod
}

// defaultRequests makes a container that limits a resource without requesting it request its limit, as the
// API server's defaulting does: a GPU pod often sets only limits, and the scheduler reads requests.
func defaultRequests(spec *corev1.PodSpec) {
	for _, containers := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range containers {
			r := &containers[i].Resources
			for name, limit := range r.Limits {
				if _, ok := r.Requests[name]; ok {
					continue
				}
				if r.Requests == nil {
					r.Requests = corev1.ResourceList{}
				}
				r.Requests[name] = limit.DeepCopy()
			}
		}
	}
}

// useClaim mounts a StatefulSet pod's claim as the volume named after its template, replacing a volume of that
// name in the pod template, as the StatefulSet controller does.
func useClaim(spec *corev1.PodSpec, volume, claim string) {
	v := corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
	}}
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == volume {
			spec.Volumes[i] = v
			return
		}
	}
	spec.Volumes = append(spec.Volumes, v)
}

// DaemonSetPods returns the pod each DaemonSet would run on a node that admits it, named after the DaemonSet
// and bound to no node. Like the DaemonSet controller, it adds tolerations for the taints the node lifecycle
// places on unhealthy or cordoned nodes.
func (o *Objects) DaemonSetPods() []*corev1.Pod {
	pods := make([]*corev1.Pod, 0, len(o.DaemonSets))
	for _, ds := range o.DaemonSets {
		owner := metav1.OwnerReference{
			APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "DaemonSet", Name: ds.Name,
			UID: ownerUID("DaemonSet", &ds.ObjectMeta), Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}
		pod := templatePod(owner, ds.Namespace, ds.Name, &ds.Spec.Template)
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, daemonTolerations(pod.Spec.HostNetwork)...)
		pods = append(pods, pod)
	}
	return pods
}

// daemonTolerations are the tolerations the DaemonSet controller adds to every pod it creates.
func daemonTolerations(hostNetwork bool) []corev1.Toleration {
	exists := func(key string, effect corev1.TaintEffect) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
	}
	out := []corev1.Toleration{
		exists(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule),
	}
	if hostNetwork {
		out = append(out, exists(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule))
	}
	return out
}
