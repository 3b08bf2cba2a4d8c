package provisioning

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// Result is what one batch did.
type Result struct {
	// Synced is false when the state model had not caught up with the cache, and nothing was solved.
	Synced bool
	// Pods are the provisionable pods of the batch.
	Pods int
	// Plan is the solver's plan, nil when there was nothing to solve.
	Plan *solver.Plan
	// NodeClaims are the claims created.
	NodeClaims []*v1.NodeClaim
}

// Provision runs one batch now: it gathers the provisionable pods, solves for them over the usable NodePools
// and creates a NodeClaim for each new node of the plan, nominating each placed pod to its node or claim.
// Nothing is solved while the state model is not synced with the cache.
func (c *Controller) Provision(ctx context.Context) (Result, error) {
	cluster := c.deps.Cluster
	if !cluster.Synced(ctx) {
		return Result{}, nil
	}
	cluster.ExpireNominations()
	pods, err := c.provisionablePods(ctx)
	if err != nil {
		return Result{Synced: true}, err
	}
	c.metrics.provisionable.Set(float64(len(pods)))
	result := Result{Synced: true, Pods: len(pods)}
	if len(pods) == 0 {
		return result, nil
	}
	pools, err := c.usablePools(ctx)
	if err != nil {
		return result, err
	}
	snapshot, skipped, err := cluster.Snapshot(ctx, pods, pools, c.opts.Solver)
	if err != nil {
		return result, err
	}
	byName := map[string]*v1.NodePool{}
	for _, np := range pools {
		byName[np.Name] = np
	}
	for _, s := range skipped {
		c.events.publish(nodePoolSkipped(byName[s.NodePool], s.Err.Error()))
	}
	c.metrics.batchSize.Observe(float64(len(pods)))
	start := c.deps.Clock.Now()
	plan := solver.Solve(snapshot)
	c.metrics.solveDuration.Observe(c.deps.Clock.Since(start).Seconds())
	result.Plan = plan

	podsByKey := make(map[types.NamespacedName]*corev1.Pod, len(pods))
	for _, p := range pods {
		podsByKey[client.ObjectKeyFromObject(p)] = p
	}
	result.NodeClaims, err = c.createNodeClaims(ctx, plan, snapshot.NodePools, podsByKey)
	inFlight := map[string]bool{}
	for _, n := range snapshot.Nodes {
		inFlight[n.Name] = n.InFlight
	}
	for _, e := range plan.Existing {
		cluster.Nominate(e.Node, e.Pods...)
		kind := "node"
		if inFlight[e.Node] {
			kind = "NodeClaim"
		}
		c.nominated(podsByKey, e.Pods, kind, e.Node)
	}
	limited := map[string]string{}
	for _, u := range plan.Unschedulable {
		if p, ok := podsByKey[u.Pod]; ok {
			c.events.publish(failedProvisioning(p, u.Reason))
		}
		for name := range byName {
			if limitedBy(u.Reason, name) {
				limited[name] = u.Reason
			}
		}
	}
	for name, reason := range limited {
		c.events.publish(limitReached(byName[name], reason))
	}
	return result, err
}

// nominated publishes the nomination of each pod and, the first time, observes how long it waited for one.
func (c *Controller) nominated(pods map[types.NamespacedName]*corev1.Pod, keys []types.NamespacedName, kind, target string) {
	now := c.deps.Clock.Now()
	for _, k := range keys {
		p, ok := pods[k]
		if !ok {
			continue
		}
		if !c.events.publish(nominated(p, kind, target)) {
			continue
		}
		since := p.CreationTimestamp.Time
		if cond := podScheduled(p); cond != nil && !cond.LastTransitionTime.IsZero() {
			since = cond.LastTransitionTime.Time
		}
		c.metrics.nominationLatency.Observe(max(now.Sub(since).Seconds(), 0))
		c.waiting.nominated(k, since)
	}
}

// limitedBy reports whether the solver's reason names the pool's limits, as it does when they stop a node.
func limitedBy(reason, pool string) bool {
	prefix := "NodePool " + pool + " "
	return strings.Contains(reason, prefix+"is at its limit") || strings.Contains(reason, prefix+"would exceed its")
}

// provisionablePods lists the pods the kube-scheduler gave up on that have no live nomination.
func (c *Controller) provisionablePods(ctx context.Context) ([]*corev1.Pod, error) {
	var list corev1.PodList
	if err := c.deps.Client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	var out []*corev1.Pod
	for i := range list.Items {
		p := &list.Items[i]
		if !provisionable(p) {
			continue
		}
		if _, ok := c.deps.Cluster.NominatedTo(client.ObjectKeyFromObject(p)); ok {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// provisionable reports whether the pod waits for capacity: the kube-scheduler marked it unschedulable, and it
// is not bound, finished, being deleted, a DaemonSet's or a node's static pod (those follow nodes rather than
// ask for them), nor preempting (the scheduler is making room for it by evicting lower-priority pods).
func provisionable(p *corev1.Pod) bool {
	cond := podScheduled(p)
	if cond == nil || cond.Status != corev1.ConditionFalse || cond.Reason != corev1.PodReasonUnschedulable {
		return false
	}
	if p.Spec.NodeName != "" || p.Status.NominatedNodeName != "" || !p.DeletionTimestamp.IsZero() ||
		p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	owner := metav1.GetControllerOf(p)
	return owner == nil || (owner.Kind != "DaemonSet" && owner.Kind != "Node")
}

func podScheduled(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodScheduled {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// usablePools lists the NodePools new capacity may come from: not being deleted, and neither their node class
// nor their validation reported as failed. A pool whose status has not been reconciled yet is tried; the cloud
// provider reports a node class that is not ready when asked for its instance types.
func (c *Controller) usablePools(ctx context.Context) ([]*v1.NodePool, error) {
	var list v1.NodePoolList
	if err := c.deps.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing nodepools: %w", err)
	}
	var out []*v1.NodePool
	for i := range list.Items {
		np := &list.Items[i]
		if !np.DeletionTimestamp.IsZero() {
			continue
		}
		skipped := false
		for _, t := range []string{v1.ConditionTypeNodeClassReady, v1.ConditionTypeValidationSucceeded} {
			if cond := meta.FindStatusCondition(np.Status.Conditions, t); cond != nil && cond.Status == metav1.ConditionFalse {
				c.events.publish(nodePoolSkipped(np, fmt.Sprintf("%s is False (%s): %s", t, cond.Reason, cond.Message)))
				skipped = true
				break
			}
		}
		if !skipped {
			out = append(out, np)
		}
	}
	return out, nil
}
