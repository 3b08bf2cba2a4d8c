package termination

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
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
const Name = "nodeclaim.termination"

// Timings. The Node watch wakes a claim as soon as its node goes; the requeues are backstops.
const (
	// NodePeriod is how soon a claim waiting for its node to drain is looked at again.
	NodePeriod = 10 * time.Second
	// InstancePeriod is how soon a claim whose instance is shutting down is looked at again.
	InstancePeriod = 5 * time.Second

	maxConcurrent = 10
)

// Dependencies are what the controller uses.
type Dependencies struct {
	// Client reads through the manager's cache and writes to the API server.
	Client client.Client
	Cloud  cloudprovider.CloudProvider
	Clock  clock.PassiveClock
	// Recorder publishes events; nil publishes none.
	Recorder events.EventRecorder
	// Registerer receives the metrics; nil means controller-runtime's registry, which the manager serves.
	Registerer prometheus.Registerer
}

// Controller terminates NodeClaims.
type Controller struct {
	deps    Dependencies
	metrics *metrics
	events  *publisher
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
	return &Controller{deps: deps, metrics: m, events: newPublisher(deps.Recorder, deps.Clock)}, nil
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register watches NodeClaims being deleted, and Nodes, mapped to the claim that owns them, so a claim moves on
// as soon as its node is gone.
func (c *Controller) Register(mgr manager.Manager) error {
	return builder.ControllerManagedBy(mgr).
		Named(Name).
		For(&v1.NodeClaim{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return !o.GetDeletionTimestamp().IsZero()
		}))).
		// Only a node's deletion moves a claim on; kubelets update their nodes all the time.
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(claimOfNode), builder.WithPredicates(predicate.Funcs{
			CreateFunc:  func(event.CreateEvent) bool { return false },
			UpdateFunc:  func(e event.UpdateEvent) bool { return !e.ObjectNew.GetDeletionTimestamp().IsZero() },
			DeleteFunc:  func(event.DeleteEvent) bool { return true },
			GenericFunc: func(event.GenericEvent) bool { return false },
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).
		Complete(c)
}

// claimOfNode maps a Node to the NodeClaim its owner reference names.
func claimOfNode(_ context.Context, o client.Object) []reconcile.Request {
	var out []reconcile.Request
	for _, ref := range o.GetOwnerReferences() {
		if ref.Kind == "NodeClaim" && ref.APIVersion == v1.SchemeGroupVersion.String() {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: ref.Name}})
		}
	}
	return out
}

// Reconcile moves one deleted claim as far towards gone as it can and says when to look again.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	claim := &v1.NodeClaim{}
	if err := c.deps.Client.Get(ctx, req.NamespacedName, claim); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if claim.DeletionTimestamp.IsZero() || !controllerutil.ContainsFinalizer(claim, v1.TerminationFinalizer) {
		return reconcile.Result{}, nil
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithName(Name).WithValues("nodeclaim", claim.Name))
	if claim.Status.ProviderID != "" {
		nodes, err := c.nodesOf(ctx, claim)
		if err != nil {
			return reconcile.Result{}, err
		}
		if len(nodes) > 0 {
			return reconcile.Result{RequeueAfter: NodePeriod}, c.deleteNodes(ctx, claim, nodes)
		}
		err = c.deps.Cloud.Delete(ctx, claim)
		if err == nil {
			c.events.publish(claim, instanceTerminating(claim.Status.ProviderID))
			return reconcile.Result{RequeueAfter: InstancePeriod}, nil
		}
		if !cloudprovider.IsNodeClaimNotFoundError(err) {
			return reconcile.Result{}, fmt.Errorf("terminating instance %s of nodeclaim %s: %w", claim.Status.ProviderID, claim.Name, err)
		}
	}
	stored := claim.DeepCopy()
	controllerutil.RemoveFinalizer(claim, v1.TerminationFinalizer)
	// The lock keeps another writer's finalizers from being overwritten by this merge patch's list.
	if err := c.deps.Client.Patch(ctx, claim, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(fmt.Errorf("removing finalizer from nodeclaim %s: %w", claim.Name, err))
	}
	c.metrics.terminated.Inc()
	c.metrics.duration.Observe(c.deps.Clock.Since(claim.DeletionTimestamp.Time).Seconds())
	c.events.publish(claim, terminated(claim.Status.ProviderID))
	log.FromContext(ctx).Info("terminated nodeclaim", "provider-id", claim.Status.ProviderID)
	return reconcile.Result{}, nil
}

// nodesOf returns the Nodes of the claim's instance: the one its status names and any with its provider ID (a
// node that registered before the lifecycle controller recorded its name).
func (c *Controller) nodesOf(ctx context.Context, claim *v1.NodeClaim) ([]*corev1.Node, error) {
	var list corev1.NodeList
	if err := c.deps.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	var nodes []*corev1.Node
	for i := range list.Items {
		n := &list.Items[i]
		if n.Spec.ProviderID == claim.Status.ProviderID || (claim.Status.NodeName != "" && n.Name == claim.Status.NodeName) {
			nodes = append(nodes, n)
		}
	}
	return nodes, nil
}

// deleteNodes deletes the nodes not yet being deleted; their finalizer drains them.
func (c *Controller) deleteNodes(ctx context.Context, claim *v1.NodeClaim, nodes []*corev1.Node) error {
	for _, n := range nodes {
		if !n.DeletionTimestamp.IsZero() {
			continue
		}
		if err := c.deps.Client.Delete(ctx, n, client.Preconditions{UID: &n.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting node %s of nodeclaim %s: %w", n.Name, claim.Name, err)
		}
		c.events.publish(claim, deletingNode(n.Name))
		log.FromContext(ctx).Info("deleted node of terminating nodeclaim", "node", n.Name)
	}
	return nil
}
