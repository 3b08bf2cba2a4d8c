package state

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podEvents remembers which node each running pod is on and when a pod last arrived on or left each node,
// which consolidateAfter is measured from. Its maps belong to Cluster and are guarded by Cluster.mu.
type podEvents struct {
	podNode   map[types.NamespacedName]string
	lastEvent map[string]time.Time
}

// LastPodEvent is when a pod last arrived on or left the node, zero when the model has seen none.
func (c *Cluster) LastPodEvent(node string) time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.events.lastEvent[node]
}

// trackPod records a pod's arrival on a node, or its departure once it finished or is being deleted. A pod
// first seen already running (the informer's initial list after a restart) arrived when it was scheduled, not
// now, so a restart does not restart every node's consolidateAfter.
func (c *Cluster) trackPod(p *corev1.Pod) {
	key := types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
	gone := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || !p.DeletionTimestamp.IsZero()
	c.mu.Lock()
	defer c.mu.Unlock()
	old, known := c.events.podNode[key]
	switch {
	case gone || p.Spec.NodeName == "":
		if known {
			c.forgetPod(key, old)
		}
	case !known:
		c.events.podNode[key] = p.Spec.NodeName
		c.touch(p.Spec.NodeName, scheduledAt(p))
	case old != p.Spec.NodeName:
		c.events.podNode[key] = p.Spec.NodeName
		c.touch(old, c.clock.Now())
		c.touch(p.Spec.NodeName, c.clock.Now())
	}
}

// forgetPod records that the pod left its node now.
func (c *Cluster) forgetPod(key types.NamespacedName, node string) {
	delete(c.events.podNode, key)
	c.touch(node, c.clock.Now())
}

// touch moves the node's last pod event forward to t.
func (c *Cluster) touch(node string, t time.Time) {
	if t.After(c.events.lastEvent[node]) {
		c.events.lastEvent[node] = t
	}
}

// scheduledAt is when the pod was bound: its PodScheduled condition's transition, else its creation.
func scheduledAt(p *corev1.Pod) time.Time {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionTrue && !cond.LastTransitionTime.IsZero() {
			return cond.LastTransitionTime.Time
		}
	}
	return p.CreationTimestamp.Time
}
