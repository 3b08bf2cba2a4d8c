package lifecycle

import (
	"context"
	"errors"
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
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/claimpatch"
	stevedoreevents "github.com/stevedore-dev/stevedore/pkg/events"
)

// Name identifies the controller in logs and metrics.
const Name = "nodeclaim.lifecycle"

// DefaultRegistrationTTL is how long a launched instance has to register a Node before its claim is deleted. An
// instance boots and joins in one to three minutes; one that has not joined in fifteen is broken (bad user data,
// no route to the API server) and costs money while it waits.
const DefaultRegistrationTTL = 15 * time.Minute

// Field indexes Register adds to the manager's cache, so that a Node and its NodeClaim find each other by provider
// ID without listing every object.
const (
	// NodeProviderIDIndex indexes Nodes by spec.providerID.
	NodeProviderIDIndex = "spec.providerID"
	// NodeClaimProviderIDIndex indexes NodeClaims by status.providerID.
	NodeClaimProviderIDIndex = "status.providerID"
)

const (
	maxConcurrent = 10
	// nodeClassPoll is how soon a claim waiting for its node class tries again; the node class controller
	// re-resolves a class that is not ready every thirty seconds.
	nodeClassPoll = 30 * time.Second
	// registrationPoll is how soon a claim waiting for its Node looks again. The Node watch normally wakes it
	// first; this bounds the wait if an event is missed.
	registrationPoll = 15 * time.Second
)

// Options tune the controller; zero values take the defaults.
type Options struct {
	// RegistrationTTL is how long a launched instance has to register a Node (DefaultRegistrationTTL).
	RegistrationTTL time.Duration
}

// Dependencies are what the controller uses.
type Dependencies struct {
	// Client reads and writes NodeClaims and Nodes.
	Client client.Client
	// CloudProvider launches the claims' instances.
	CloudProvider cloudprovider.CloudProvider
	// Clock times the registration TTL and registration durations.
	Clock clock.Clock
	// Recorder publishes events on NodeClaims; nil publishes none.
	Recorder events.EventRecorder
	// Registerer receives the controller's metrics; nil means controller-runtime's metrics.Registry.
	Registerer prometheus.Registerer
}

// Controller is the NodeClaim lifecycle controller.
type Controller struct {
	kube     client.Client
	cloud    cloudprovider.CloudProvider
	clock    clock.Clock
	events   *stevedoreevents.Recorder
	metrics  *metrics
	opts     Options
	launches *launches
	// nodes, when set by Register, is the manager's cache, which can list Nodes by NodeProviderIDIndex.
	// Without it the controller lists every Node and filters, which is what tests reconciling directly need.
	nodes client.Reader
}

// NewController returns a Controller and registers its metrics. Controllers built in one process share metrics
// registered on the same Registerer.
func NewController(deps Dependencies, opts Options) (*Controller, error) {
	if deps.Client == nil || deps.CloudProvider == nil || deps.Clock == nil {
		return nil, errors.New("building the nodeclaim lifecycle controller: client, cloud provider and clock are required")
	}
	if opts.RegistrationTTL <= 0 {
		opts.RegistrationTTL = DefaultRegistrationTTL
	}
	reg := deps.Registerer
	if reg == nil {
		reg = crmetrics.Registry
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("registering nodeclaim lifecycle metrics: %w", err)
	}
	return &Controller{
		kube: deps.Client, cloud: deps.CloudProvider, clock: deps.Clock, metrics: m, opts: opts,
		events:   stevedoreevents.NewRecorder(deps.Recorder, deps.Clock, dedupeWindow),
		launches: &launches{},
	}, nil
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register indexes Nodes and NodeClaims by provider ID in mgr's cache, and watches NodeClaims and the Nodes that
// belong to them.
func (c *Controller) Register(mgr manager.Manager) error {
	// IndexField uses the context only to fetch the informer, which the manager starts later.
	ctx := context.Background()
	if err := mgr.GetFieldIndexer().IndexField(ctx, &corev1.Node{}, NodeProviderIDIndex, func(o client.Object) []string {
		return nonEmpty(o.(*corev1.Node).Spec.ProviderID)
	}); err != nil {
		return fmt.Errorf("indexing nodes by provider id: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1.NodeClaim{}, NodeClaimProviderIDIndex, func(o client.Object) []string {
		return nonEmpty(o.(*v1.NodeClaim).Status.ProviderID)
	}); err != nil {
		return fmt.Errorf("indexing nodeclaims by provider id: %w", err)
	}
	c.nodes = mgr.GetCache()
	claims := mgr.GetCache()
	return builder.ControllerManagedBy(mgr).
		Named(Name).
		For(&v1.NodeClaim{}).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return claimsOf(ctx, claims, o)
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).
		Complete(c)
}

// pass is one reconcile's working state, shared by the sub-reconcilers in order.
type pass struct {
	claim *v1.NodeClaim
	// node is the claim's Node, once registration has found it.
	node *corev1.Node
	// deleted is set by a sub-reconciler that deleted the claim: the rest are skipped and nothing is patched.
	deleted bool
}

type subReconciler func(ctx context.Context, p *pass) (reconcile.Result, error)

// Reconcile moves one NodeClaim along launch, registration and initialization, and deletes it if its instance
// never registers.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	claim := &v1.NodeClaim{}
	if err := c.kube.Get(ctx, req.NamespacedName, claim); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !claim.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, nil
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("nodeclaim", claim.Name))
	stored := claim.DeepCopy()
	controllerutil.AddFinalizer(claim, v1.TerminationFinalizer)
	claim.Conditions().Initialize()

	p := &pass{claim: claim}
	var errs []error
	var requeue time.Duration
	for _, step := range []subReconciler{c.launch, c.register, c.initialize, c.liveness} {
		res, err := step(ctx, p)
		if err != nil {
			errs = append(errs, err)
		}
		if p.deleted {
			return reconcile.Result{}, errors.Join(errs...)
		}
		requeue = soonest(requeue, res.RequeueAfter)
	}
	if err := c.patch(ctx, stored, claim); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: requeue}, nil
}

// patch writes the claim back; see claimpatch.Patch.
func (c *Controller) patch(ctx context.Context, stored, claim *v1.NodeClaim) error {
	return claimpatch.Patch(ctx, c.kube, stored, claim)
}

// deleteClaim deletes the claim it was given, not a newer claim of the same name.
func (c *Controller) deleteClaim(ctx context.Context, claim *v1.NodeClaim) error {
	if err := c.kube.Delete(ctx, claim, client.Preconditions{UID: &claim.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting nodeclaim %s: %w", claim.Name, err)
	}
	return nil
}

// claimsOf maps a Node to its NodeClaim: by owner reference once adopted, else by provider ID, which is how a
// claim learns that its Node has just registered.
func claimsOf(ctx context.Context, claims client.Reader, o client.Object) []reconcile.Request {
	node, ok := o.(*corev1.Node)
	if !ok {
		return nil
	}
	for _, ref := range node.OwnerReferences {
		if ref.APIVersion == v1.SchemeGroupVersion.String() && ref.Kind == nodeClaimKind {
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: ref.Name}}}
		}
	}
	if node.Spec.ProviderID == "" {
		return nil
	}
	var list v1.NodeClaimList
	if err := claims.List(ctx, &list, client.MatchingFields{NodeClaimProviderIDIndex: node.Spec.ProviderID}); err != nil {
		log.FromContext(ctx).WithName(Name).Error(err, "listing nodeclaims by provider id", "node", node.Name)
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, claim := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: claim.Name}})
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// soonest returns the earlier of two requeue delays, where zero means none.
func soonest(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}
