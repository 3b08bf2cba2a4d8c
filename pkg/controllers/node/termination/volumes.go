package termination

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// awaitVolumes returns how long to wait for the drained node's VolumeAttachments to go: detaching before the
// instance is terminated keeps a volume from being stuck attached to a dead instance for the cloud's
// force-detach timeout, which would hold up the pod rescheduled elsewhere. Attachments of volumes that pods
// staying on the node still use (DaemonSet and mirror pods) are not waited for: they never detach. The wait
// ends at the termination deadline, or DefaultVolumeWait after the drain when there is none.
func (c *Controller) awaitVolumes(ctx context.Context, node *corev1.Node, deadline time.Time) (time.Duration, error) {
	if deadline.IsZero() {
		drainedAt, ok := c.drained.at(node.UID)
		if !ok {
			drainedAt = c.deps.Clock.Now()
		}
		deadline = drainedAt.Add(DefaultVolumeWait)
	}
	left := deadline.Sub(c.deps.Clock.Now())
	if left <= 0 {
		return 0, nil
	}
	var list storagev1.VolumeAttachmentList
	if err := c.deps.Client.List(ctx, &list); err != nil {
		return 0, fmt.Errorf("listing volumeattachments: %w", err)
	}
	kept, err := c.volumesKept(ctx, node.Name)
	if err != nil {
		return 0, err
	}
	attached := 0
	for _, va := range list.Items {
		if va.Spec.NodeName != node.Name {
			continue
		}
		if pv := va.Spec.Source.PersistentVolumeName; pv != nil && kept[*pv] {
			continue
		}
		attached++
	}
	if attached == 0 {
		return 0, nil
	}
	c.events.publish(node, waitingOnVolumes(attached))
	return min(WaitPeriod, left), nil
}

// volumesKept returns the persistent volumes that pods the drain leaves on the node mount.
func (c *Controller) volumesKept(ctx context.Context, nodeName string) (map[string]bool, error) {
	pods, err := c.podsOn(ctx, nodeName)
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	for _, p := range pods {
		if drainable(p) || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			pvc := &corev1.PersistentVolumeClaim{}
			key := types.NamespacedName{Namespace: p.Namespace, Name: v.PersistentVolumeClaim.ClaimName}
			if err := c.deps.Client.Get(ctx, key, pvc); err != nil {
				// A claim that is gone binds no volume to keep.
				if err := client.IgnoreNotFound(err); err != nil {
					return nil, fmt.Errorf("getting persistentvolumeclaim %s: %w", key, err)
				}
				continue
			}
			if pvc.Spec.VolumeName != "" {
				kept[pvc.Spec.VolumeName] = true
			}
		}
	}
	return kept, nil
}
