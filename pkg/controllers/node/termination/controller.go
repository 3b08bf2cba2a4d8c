package termination

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// Name identifies the controller in logs and metrics.
const Name = "node.termination"

// Timings. Pod, VolumeAttachment and Node events wake a draining node sooner; the requeues are backstops.
const (
	// WaitPeriod is how soon a node whose pods or volumes are still going is looked at again.
	WaitPeriod = 5 * time.Second
	// InstancePeriod is how soon the instance of a drained node is checked again while it shuts down.
	InstancePeriod = 5 * time.Second
	// DefaultVolumeWait bounds the wait for VolumeAttachments after the drain when the NodeClaim sets no
	// termination grace period: a CSI driver that never detaches must not keep an instance running for ever.
	DefaultVolumeWait = 5 * time.Minute
	// PodNodeNameField is the pod field index Register adds, so that listing a node's pods reads one index entry.
	PodNodeNameField = "spec.nodeName"

	maxConcurrent = 10
)

// Dependencies are what the controller uses.
type Dependencies struct {
	// Client reads through the manager's cache and writes to the API server.
	Client client.Client
	Cloud  cloudprovider.CloudProvider
	Clock  clock.Clock
	// Recorder publishes events; nil publishes none.
	Recorder events.EventRecorder
	// Registerer receives the metrics; nil means controller-runtime's registry, which the manager serves.
	Registerer prometheus.Registerer
}

// Controller terminates Nodes.
type Controller struct {
	deps    Dependencies
	metrics *metrics
	events  *publisher
	backoff *backoff
	drained *drainTimes
}

// NewController returns a controller using deps; it fails only if its metrics cannot be registered.
func NewController(deps Dependencies) (*Controller, error) {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	if deps.Registerer == nil {
		deps.Registerer = crmetrics.Registry
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	return &Controller{
		deps:    deps,
		metrics: m,
		events:  newPublisher(deps.Recorder, deps.Clock),
		backoff: newBackoff(deps.Clock),
		drained: newDrainTimes(),
	}, nil
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register indexes pods by node and watches Nodes being deleted, and the pods and VolumeAttachments on them, so
// a node is reconciled as soon as what it waits for changes.
func (c *Controller) Register(mgr manager.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &corev1.Pod{}, PodNodeNameField, func(o client.Object) []string {
		if p, ok := o.(*corev1.Pod); ok && p.Spec.NodeName != "" {
			return []string{p.Spec.NodeName}
		}
		return nil
	})
	// Another controller may have added the same index (same name, same meaning) first; that one serves us too.
	if err != nil && !strings.Contains(err.Error(), "indexer conflict") {
		return fmt.Errorf("indexing pods by node: %w", err)
	}
	return builder.ControllerManagedBy(mgr).
		Named(Name).
		For(&corev1.Node{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return !o.GetDeletionTimestamp().IsZero()
		}))).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return nodeRequest(o.(*corev1.Pod).Spec.NodeName)
		})).
		Watches(&storagev1.VolumeAttachment{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return nodeRequest(o.(*storagev1.VolumeAttachment).Spec.NodeName)
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).
		Complete(c)
}

func requeue(after time.Duration, err error) (reconcile.Result, error) {
	if err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: after}, nil
}

func nodeRequest(name string) []reconcile.Request {
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
}

// Reconcile moves one deleted node as far towards gone as it can and says when to look again.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	node := &corev1.Node{}
	if err := c.deps.Client.Get(ctx, req.NamespacedName, node); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if node.DeletionTimestamp.IsZero() || !controllerutil.ContainsFinalizer(node, v1.TerminationFinalizer) {
		return reconcile.Result{}, nil
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithName(Name).WithValues("node", node.Name))
	claim, err := c.claimOf(ctx, node)
	if err != nil {
		return reconcile.Result{}, err
	}
	if err := c.taint(ctx, node); err != nil {
		return reconcile.Result{}, err
	}
	deadline := deadlineOf(node, claim)
	// An error is returned without a requeue time: the controller's rate limiter backs off instead.
	if wait, err := c.drain(ctx, node, deadline); err != nil || wait > 0 {
		return requeue(wait, err)
	}
	if wait, err := c.awaitVolumes(ctx, node, deadline); err != nil || wait > 0 {
		return requeue(wait, err)
	}
	if claim != nil && claim.DeletionTimestamp.IsZero() {
		if err := c.deps.Client.Delete(ctx, claim); client.IgnoreNotFound(err) != nil {
			return reconcile.Result{}, fmt.Errorf("deleting nodeclaim %s: %w", claim.Name, err)
		}
	}
	gone, err := c.terminateInstance(ctx, node, claim)
	if err != nil || !gone {
		return requeue(InstancePeriod, err)
	}
	stored := node.DeepCopy()
	controllerutil.RemoveFinalizer(node, v1.TerminationFinalizer)
	// The lock keeps another writer's finalizers from being overwritten by this merge patch's list.
	if err := c.deps.Client.Patch(ctx, node, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(fmt.Errorf("removing finalizer from node %s: %w", node.Name, err))
	}
	c.events.publish(node, terminated(node.Name))
	c.drained.forget(node.UID)
	log.FromContext(ctx).Info("terminated node")
	return reconcile.Result{}, nil
}

// claimOf returns the node's NodeClaim, found by the owner reference the lifecycle controller sets, else by
// provider ID; nil when there is none (a node Stevedore adopted, or a claim already gone).
func (c *Controller) claimOf(ctx context.Context, node *corev1.Node) (*v1.NodeClaim, error) {
	for _, ref := range node.OwnerReferences {
		if ref.Kind != "NodeClaim" || !strings.HasPrefix(ref.APIVersion, v1.Group+"/") {
			continue
		}
		claim := &v1.NodeClaim{}
		err := c.deps.Client.Get(ctx, types.NamespacedName{Name: ref.Name}, claim)
		if err == nil && claim.UID == ref.UID {
			return claim, nil
		}
		if client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("getting nodeclaim %s: %w", ref.Name, err)
		}
	}
	if node.Spec.ProviderID == "" {
		return nil, nil
	}
	var claims v1.NodeClaimList
	if err := c.deps.Client.List(ctx, &claims); err != nil {
		return nil, fmt.Errorf("listing nodeclaims: %w", err)
	}
	for i := range claims.Items {
		if claims.Items[i].Status.ProviderID == node.Spec.ProviderID {
			return &claims.Items[i], nil
		}
	}
	return nil, nil
}

// deadlineOf is when the node must be gone: its deletion plus the claim's termination grace period. The zero
// time means no deadline: blocked pods are waited for as long as they block.
func deadlineOf(node *corev1.Node, claim *v1.NodeClaim) time.Time {
	if claim == nil || claim.Spec.TerminationGracePeriod == nil {
		return time.Time{}
	}
	return node.DeletionTimestamp.Add(claim.Spec.TerminationGracePeriod.Duration)
}

// taint adds the disrupted taint, so the scheduler places nothing new on a node being drained.
func (c *Controller) taint(ctx context.Context, node *corev1.Node) error {
	for _, t := range node.Spec.Taints {
		if t.Key == v1.DisruptedTaintKey && t.Effect == corev1.TaintEffectNoSchedule {
			return nil
		}
	}
	stored := node.DeepCopy()
	node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: v1.DisruptedTaintKey, Effect: corev1.TaintEffectNoSchedule})
	if err := c.deps.Client.Patch(ctx, node, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("tainting node %s: %w", node.Name, err)
	}
	c.events.publish(node, draining(node.Name))
	return nil
}

// terminateInstance asks the cloud to terminate the node's instance and reports whether it is gone.
func (c *Controller) terminateInstance(ctx context.Context, node *corev1.Node, claim *v1.NodeClaim) (bool, error) {
	target := claim
	if target == nil || target.Status.ProviderID == "" {
		if node.Spec.ProviderID == "" {
			return true, nil
		}
		target = &v1.NodeClaim{Status: v1.NodeClaimStatus{ProviderID: node.Spec.ProviderID, NodeName: node.Name}}
	}
	err := c.deps.Cloud.Delete(ctx, target)
	if cloudprovider.IsNodeClaimNotFoundError(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("terminating instance %s of node %s: %w", target.Status.ProviderID, node.Name, err)
	}
	return false, nil
}
