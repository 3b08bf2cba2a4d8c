package termination

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// Eviction backoff: a PDB that refuses now usually refuses for a while (until a replacement pod is ready), so
// retries of one pod spread out, from BackoffBase doubling up to BackoffMax.
const (
	BackoffBase = time.Second
	BackoffMax  = time.Minute
)

// evict asks the API server to evict the pod, which it refuses with 429 while a PDB allows no disruption. A
// refusal is never worked around by deleting: the pod is retried after a backoff.
func (c *Controller) evict(ctx context.Context, node *corev1.Node, p *corev1.Pod) error {
	if !c.backoff.ready(p.UID) {
		return nil
	}
	eviction := &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		DeleteOptions: &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}},
	}
	err := c.deps.Client.SubResource("eviction").Create(ctx, p, eviction)
	switch {
	case err == nil:
		c.backoff.forget(p.UID)
		c.metrics.evictions.Inc()
		c.events.publish(p, evicted(node.Name))
		log.FromContext(ctx).V(1).Info("evicted pod", "pod", client.ObjectKeyFromObject(p))
		return nil
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		// Gone already, or a different pod of the same name: the next reconcile sees the truth.
		c.backoff.forget(p.UID)
		return nil
	case apierrors.IsTooManyRequests(err):
		c.backoff.failed(p.UID)
		c.metrics.evictionsBlocked.Inc()
		pdbs, listErr := c.budgetsOf(ctx, p)
		e := evictionBlocked(node.Name, pdbs)
		c.events.publish(p, e)
		c.events.publish(node, e)
		return listErr
	default:
		c.backoff.failed(p.UID)
		return fmt.Errorf("evicting pod %s/%s: %w", p.Namespace, p.Name, err)
	}
}

// budgetsOf names the PodDisruptionBudgets selecting the pod, for the event that says why it stays.
func (c *Controller) budgetsOf(ctx context.Context, p *corev1.Pod) ([]string, error) {
	var list policyv1.PodDisruptionBudgetList
	if err := c.deps.Client.List(ctx, &list, client.InNamespace(p.Namespace)); err != nil {
		return nil, fmt.Errorf("listing poddisruptionbudgets in %s: %w", p.Namespace, err)
	}
	var names []string
	for _, pdb := range list.Items {
		selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || selector.Empty() || !selector.Matches(labels.Set(p.Labels)) {
			continue
		}
		names = append(names, pdb.Name)
	}
	slices.Sort(names)
	return names, nil
}

// backoff spaces out retries of refused evictions, per pod.
type backoff struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	pods  map[types.UID]retry
}

type retry struct {
	failures int
	next     time.Time
}

func newBackoff(clk clock.PassiveClock) *backoff {
	return &backoff{clock: clk, pods: map[types.UID]retry{}}
}

// ready reports whether the pod may be tried now.
func (b *backoff) ready(uid types.UID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.pods[uid]
	return !ok || !b.clock.Now().Before(r.next)
}

// failed doubles the pod's wait before its next try.
func (b *backoff) failed(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	// Pods that went without a successful eviction (deleted by someone else) would otherwise stay for ever.
	for k, r := range b.pods {
		if now.Sub(r.next) > 10*BackoffMax {
			delete(b.pods, k)
		}
	}
	r := b.pods[uid]
	wait := BackoffMax
	if r.failures < 16 {
		wait = min(BackoffBase<<r.failures, BackoffMax)
	}
	b.pods[uid] = retry{failures: r.failures + 1, next: now.Add(wait)}
}

func (b *backoff) forget(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pods, uid)
}

// drainTimes remembers when each node was first seen drained, to bound the volume wait and time the drain once.
type drainTimes struct {
	mu    sync.Mutex
	nodes map[types.UID]time.Time
}

func newDrainTimes() *drainTimes { return &drainTimes{nodes: map[types.UID]time.Time{}} }

// mark records now as the node's drain time unless one is recorded, and reports whether this was the first.
func (d *drainTimes) mark(uid types.UID, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.nodes[uid]; ok {
		return false
	}
	// A node whose finalizer someone else removed is never forgotten otherwise; a day is longer than any wait.
	for k, t := range d.nodes {
		if now.Sub(t) > 24*time.Hour {
			delete(d.nodes, k)
		}
	}
	d.nodes[uid] = now
	return true
}

// at returns when the node was first seen drained.
func (d *drainTimes) at(uid types.UID) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.nodes[uid]
	return t, ok
}

func (d *drainTimes) forget(uid types.UID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.nodes, uid)
}
