package state

import (
	"context"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// PoolError is a NodePool left out of a snapshot because its node class is not ready.
type PoolError struct {
	// NodePool is the pool's name.
	NodePool string
	// Err says why.
	Err error
}

// Snapshot builds the solver's input: pending are the pods to place (the caller decides which), pools the
// NodePools new capacity may come from. A pool whose node class is not ready is left out and reported; any
// other error fails the snapshot. The snapshot shares objects with the cache: nobody may modify it.
func (c *Cluster) Snapshot(ctx context.Context, pending []*corev1.Pod, pools []*v1.NodePool, opts solver.Options) (*solver.Snapshot, []PoolError, error) {
	s := &solver.Snapshot{Pods: pending, Options: opts}
	var skipped []PoolError
	typesOf := map[string][]*cloudprovider.InstanceType{}
	for _, np := range pools {
		its, err := c.cloud.InstanceTypes(ctx, np)
		if cloudprovider.IsNodeClassNotReadyError(err) {
			skipped = append(skipped, PoolError{NodePool: np.Name, Err: err})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("listing instance types of nodepool %s: %w", np.Name, err)
		}
		typesOf[np.Name] = its
		s.NodePools = append(s.NodePools, &solver.NodePool{NodePool: np, InstanceTypes: its})
	}
	lists, err := c.list(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.PersistentVolumeClaims, s.PersistentVolumes, s.StorageClasses = lists.pvcs, lists.pvs, lists.classes

	b := c.capacity(typesOf, lists.daemonSets)
	pendingKeys := make(map[types.NamespacedName]bool, len(pending))
	for _, p := range pending {
		pendingKeys[client.ObjectKeyFromObject(p)] = true
	}
	c.placePods(b, lists.pods, pendingKeys)
	b.addDaemonSetPods(lists.daemonSets)
	s.Nodes = b.nodes
	for _, np := range s.NodePools {
		np.Usage = b.usage.Of(np.NodePool.Name)
	}
	return s, skipped, nil
}

// lists are what the snapshot reads through the cache.
type lists struct {
	pods       []*corev1.Pod
	daemonSets []*corev1.Pod
	pvcs       []*corev1.PersistentVolumeClaim
	pvs        []*corev1.PersistentVolume
	classes    []*storagev1.StorageClass
}

// list reads pods, DaemonSets and volumes without copying: the cache's objects are shared and read-only.
func (c *Cluster) list(ctx context.Context) (*lists, error) {
	var pods corev1.PodList
	if err := c.kube.List(ctx, &pods, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	var dss appsv1.DaemonSetList
	if err := c.kube.List(ctx, &dss, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing daemonsets: %w", err)
	}
	var pvcs corev1.PersistentVolumeClaimList
	if err := c.kube.List(ctx, &pvcs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing persistentvolumeclaims: %w", err)
	}
	var pvs corev1.PersistentVolumeList
	if err := c.kube.List(ctx, &pvs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing persistentvolumes: %w", err)
	}
	var classes storagev1.StorageClassList
	if err := c.kube.List(ctx, &classes, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing storageclasses: %w", err)
	}
	out := &lists{}
	for i := range pods.Items {
		out.pods = append(out.pods, &pods.Items[i])
	}
	for i := range dss.Items {
		out.daemonSets = append(out.daemonSets, DaemonSetPod(&dss.Items[i]))
	}
	for i := range pvcs.Items {
		out.pvcs = append(out.pvcs, &pvcs.Items[i])
	}
	for i := range pvs.Items {
		out.pvs = append(out.pvs, &pvs.Items[i])
	}
	for i := range classes.Items {
		out.classes = append(out.classes, &classes.Items[i])
	}
	return out, nil
}

// placePods hands each running pod to the node it is bound to and each nominated pod to its target, leaving
// out the pods being placed now.
func (c *Cluster) placePods(b *built, pods []*corev1.Pod, pending map[types.NamespacedName]bool) {
	now := c.clock.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if p.Spec.NodeName != "" {
			if n, ok := b.byName[p.Spec.NodeName]; ok {
				n.Pods = append(n.Pods, p)
			}
			continue
		}
		key := client.ObjectKeyFromObject(p)
		if pending[key] || !p.DeletionTimestamp.IsZero() {
			continue
		}
		if nom, ok := c.nominations[key]; ok && !c.expired(nom, now) {
			if n, ok := b.byName[nom.target]; ok {
				n.Pods = append(n.Pods, p)
			}
		}
	}
}

// DaemonSetPod is the pod a DaemonSet would run on a node that admits it, with the tolerations the DaemonSet
// controller adds to every pod it creates.
func DaemonSetPod(ds *appsv1.DaemonSet) *corev1.Pod {
	yes := true
	pod := &corev1.Pod{
		ObjectMeta: ds.Spec.Template.ObjectMeta,
		Spec:       *ds.Spec.Template.Spec.DeepCopy(),
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	pod.Name, pod.Namespace = ds.Name, ds.Namespace
	pod.Labels = maps.Clone(ds.Spec.Template.Labels)
	pod.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "DaemonSet", Name: ds.Name, UID: ds.UID, Controller: &yes,
	}}
	exists := func(key string, effect corev1.TaintEffect) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
	}
	pod.Spec.Tolerations = append(pod.Spec.Tolerations,
		exists(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule),
	)
	return pod
}

// runsOn reports whether a DaemonSet pod would run on a node with these labels and taints.
func runsOn(ds *corev1.Pod, labels map[string]string, taints []corev1.Taint) bool {
	return scheduling.RunsOn(ds, scheduling.FromLabels(labels), taints)
}
