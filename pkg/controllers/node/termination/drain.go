package termination

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// systemCriticalPriority is the priority from which the scheduler treats a pod as system-critical; the built-in
// system-cluster-critical and system-node-critical classes sit at and above it.
const systemCriticalPriority = 2_000_000_000

// defaultPodGracePeriod is what the API server defaults a pod's terminationGracePeriodSeconds to.
const defaultPodGracePeriod = 30 * time.Second

// drain evicts what may be evicted now, deletes what must go by the deadline, and returns how long to wait
// before looking again: zero once no pod the drain waits for is left.
func (c *Controller) drain(ctx context.Context, node *corev1.Node, deadline time.Time) (time.Duration, error) {
	pods, err := c.podsOn(ctx, node.Name)
	if err != nil {
		return 0, err
	}
	var waiting, ordinary []*corev1.Pod
	for _, p := range pods {
		if !drainable(p) {
			continue
		}
		waiting = append(waiting, p)
		if !isCritical(p) {
			ordinary = append(ordinary, p)
		}
	}
	if len(waiting) == 0 {
		if first := c.drained.mark(node.UID, c.deps.Clock.Now()); first {
			c.metrics.drainDuration.Observe(c.deps.Clock.Since(node.DeletionTimestamp.Time).Seconds())
		}
		return 0, nil
	}
	var errs []error
	expired := map[types.UID]bool{}
	if !deadline.IsZero() {
		for _, p := range waiting {
			deleted, err := c.deleteExpiring(ctx, node, p, deadline)
			expired[p.UID] = deleted
			errs = append(errs, err)
		}
	}
	// Critical pods go last, once the ordinary ones have gone (not just been evicted): the ordinary pods may
	// need them (DNS, the CNI, log shippers) while they shut down.
	evictable := ordinary
	if len(ordinary) == 0 {
		evictable = waiting
	}
	for _, p := range evictable {
		if expired[p.UID] || !p.DeletionTimestamp.IsZero() {
			continue
		}
		if doNotDisrupt(p) {
			c.events.publish(node, doNotDisruptWaiting(p))
			continue
		}
		errs = append(errs, c.evict(ctx, node, p))
	}
	return WaitPeriod, errors.Join(errs...)
}

// podsOn lists the pods bound to the node.
func (c *Controller) podsOn(ctx context.Context, nodeName string) ([]*corev1.Pod, error) {
	var list corev1.PodList
	if err := c.deps.Client.List(ctx, &list, client.MatchingFields{PodNodeNameField: nodeName}); err != nil {
		return nil, fmt.Errorf("listing pods on node %s: %w", nodeName, err)
	}
	pods := make([]*corev1.Pod, 0, len(list.Items))
	for i := range list.Items {
		pods = append(pods, &list.Items[i])
	}
	return pods, nil
}

// drainable reports whether the drain removes the pod and waits for it. DaemonSet pods would be recreated on the
// node at once (and tolerate its taints), mirror pods are the kubelet's own and cannot be evicted, and finished
// pods hold nothing.
func drainable(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return false
	}
	for _, ref := range p.OwnerReferences {
		if ref.Kind == "DaemonSet" {
			return false
		}
	}
	return true
}

// isCritical reports whether the pod is system-critical, by class name or by priority.
func isCritical(p *corev1.Pod) bool {
	switch p.Spec.PriorityClassName {
	case "system-cluster-critical", "system-node-critical":
		return true
	}
	return p.Spec.Priority != nil && *p.Spec.Priority >= systemCriticalPriority
}

// doNotDisrupt reports whether the pod asks not to be evicted.
func doNotDisrupt(p *corev1.Pod) bool { return p.Annotations[v1.DoNotDisruptAnnotationKey] == "true" }

// deleteExpiring deletes a pod that would otherwise outlive the deadline, with its grace period shortened to the
// time left, and reports whether it did. A pod is deleted once its own grace period no longer fits before the
// deadline, so that it still gets all the time there is; once the deadline has passed, whatever is left,
// terminating or not, is deleted at once.
func (c *Controller) deleteExpiring(ctx context.Context, node *corev1.Node, p *corev1.Pod, deadline time.Time) (bool, error) {
	left := max(deadline.Sub(c.deps.Clock.Now()), 0)
	if left > 0 && (!p.DeletionTimestamp.IsZero() || podGracePeriod(p) < left) {
		return false, nil
	}
	grace := int64(left / time.Second)
	err := c.deps.Client.Delete(ctx, p, client.GracePeriodSeconds(grace), client.Preconditions{UID: &p.UID})
	if client.IgnoreNotFound(err) != nil {
		return false, fmt.Errorf("deleting pod %s/%s at the node's termination deadline: %w", p.Namespace, p.Name, err)
	}
	c.metrics.podsDeleted.Inc()
	c.events.publish(p, deletedAfterGracePeriod(node.Name, grace))
	log.FromContext(ctx).Info("deleted pod at the node's termination deadline", "pod", client.ObjectKeyFromObject(p), "grace-period-seconds", grace)
	return true, nil
}

func podGracePeriod(p *corev1.Pod) time.Duration {
	if s := p.Spec.TerminationGracePeriodSeconds; s != nil {
		return time.Duration(*s) * time.Second
	}
	return defaultPodGracePeriod
}
