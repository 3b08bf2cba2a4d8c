package disruption

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/claimpatch"
	stevedoreevents "github.com/stevedore-dev/stevedore/pkg/events"
)

// Name identifies the controller in logs and metrics.
const Name = "nodeclaim.disruption"

// RecheckInterval is how often a launched claim is checked again without any event: a new AMI or a changed
// subnet shows up in the cloud, not as a change to an object this controller watches.
const RecheckInterval = 5 * time.Minute

// maxConcurrent bounds parallel checks: each may ask the cloud about one machine, and every claim is checked
// once per RecheckInterval.
const maxConcurrent = 10

// Dependencies are what the controller uses.
type Dependencies struct {
	// Client reads NodeClaims and NodePools and writes NodeClaims.
	Client client.Client
	// CloudProvider says whether a claim's machine has drifted from its node class.
	CloudProvider cloudprovider.CloudProvider
	// Clock times the event recorder.
	Clock clock.Clock
	// Recorder publishes events on NodeClaims; nil publishes none.
	Recorder events.EventRecorder
	// NodeClasses are the node class kinds, with the version to watch them at, whose changes wake the claims
	// that reference them (aws.stevedore.dev/v1 EC2NodeClass). They are watched generically so that this
	// package knows no cloud provider's types; none means node class changes are noticed at the next recheck.
	NodeClasses []schema.GroupVersionKind
}

// Controller sets and clears the Drifted condition of NodeClaims.
type Controller struct {
	kube        client.Client
	cloud       cloudprovider.CloudProvider
	events      *stevedoreevents.Recorder
	nodeClasses []schema.GroupVersionKind
}

// NewController returns a Controller. Client and CloudProvider are required; a nil Clock is the real clock.
func NewController(deps Dependencies) *Controller {
	clk := deps.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Controller{
		kube: deps.Client, cloud: deps.CloudProvider, nodeClasses: deps.NodeClasses,
		// A claim publishes Drifted once, when it turns drifted, so there are no repeats to drop.
		events: stevedoreevents.NewRecorder(deps.Recorder, clk, 0),
	}
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register watches NodeClaims, the spec of NodePools (waking the pool's claims) and the configured node classes
// (waking the claims that reference them).
func (c *Controller) Register(mgr manager.Manager) error {
	cache := mgr.GetCache()
	b := builder.ControllerManagedBy(mgr).
		Named(Name).
		For(&v1.NodeClaim{}).
		// A pool's status changes with every claim it gains; only a spec change can make its claims drift.
		Watches(&v1.NodePool{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return claimsOfPool(ctx, cache, o.GetName())
		}), builder.WithPredicates(predicate.GenerationChangedPredicate{}))
	for _, gvk := range c.nodeClasses {
		class := &unstructured.Unstructured{}
		class.SetGroupVersionKind(gvk)
		// No predicate: what a class resolves to (images, subnets) lives in its status.
		b = b.Watches(class, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return claimsOfClass(ctx, cache, gvk.GroupKind(), o.GetName())
		}))
	}
	return b.WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).Complete(c)
}

// Reconcile recomputes one NodeClaim's Drifted condition.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	claim := &v1.NodeClaim{}
	if err := c.kube.Get(ctx, req.NamespacedName, claim); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	// A claim not yet launched has nothing to compare; its launch wakes it. One being deleted is on its way out.
	if !claim.DeletionTimestamp.IsZero() || !claim.Conditions().IsTrue(v1.ConditionTypeLaunched) {
		return reconcile.Result{}, nil
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("nodeclaim", claim.Name))
	stored := claim.DeepCopy()
	pool, err := c.nodePool(ctx, claim)
	if err != nil {
		return reconcile.Result{}, err
	}
	d, err := c.drift(ctx, claim, pool)
	switch {
	case err == nil:
		setDrifted(claim, d)
	case cloudprovider.IsNodeClassNotReadyError(err) || cloudprovider.IsNodeClaimNotFoundError(err):
		// The cloud cannot say now (the class is not resolved, or the instance is gone and garbage collection
		// will notice): keep a cloud reason concluded before rather than guess, but drop a pool reason, which the
		// checks before the cloud's have just ruled out.
		log.FromContext(ctx).V(1).Info("cannot check cloud drift", "error", err.Error())
		if cond := claim.Conditions().Get(v1.ConditionTypeDrifted); cond != nil &&
			(cond.Reason == string(NodePoolDrift) || cond.Reason == string(RequirementsDrift)) {
			setDrifted(claim, drift{})
		}
		err = nil
	}
	// A stamped hash is written even when the drift is unknown: it does not depend on the cloud.
	if perr := c.patch(ctx, stored, claim); perr != nil {
		return reconcile.Result{}, errors.Join(err, perr)
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	if !stored.Conditions().IsTrue(v1.ConditionTypeDrifted) && claim.Conditions().IsTrue(v1.ConditionTypeDrifted) {
		c.events.Publish(claim, driftedEvent(d))
	}
	return reconcile.Result{RequeueAfter: RecheckInterval}, nil
}

// nodePool returns the claim's NodePool, or nil when the claim names none or it is gone.
func (c *Controller) nodePool(ctx context.Context, claim *v1.NodeClaim) (*v1.NodePool, error) {
	name := claim.Labels[v1.NodePoolLabelKey]
	if name == "" {
		return nil, nil
	}
	pool := &v1.NodePool{}
	if err := c.kube.Get(ctx, types.NamespacedName{Name: name}, pool); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("getting nodepool %s: %w", name, err)
	}
	return pool, nil
}

// setDrifted records d as the claim's Drifted condition, or removes the condition when d is no drift.
func setDrifted(claim *v1.NodeClaim, d drift) {
	set := claim.Conditions()
	if d.reason == "" {
		// Clearing rolls Ready up again; skipping an absent condition keeps the periodic recheck of a healthy
		// claim free of writes.
		if set.Get(v1.ConditionTypeDrifted) != nil {
			set.Clear(v1.ConditionTypeDrifted)
		}
		return
	}
	set.Set(v1.ConditionTypeDrifted, metav1.ConditionTrue, string(d.reason), d.message)
}

// patch writes the claim back; see claimpatch.Patch.
func (c *Controller) patch(ctx context.Context, stored, claim *v1.NodeClaim) error {
	return claimpatch.Patch(ctx, c.kube, stored, claim)
}

// claimsOfPool lists the claims labelled with the pool's name.
func claimsOfPool(ctx context.Context, claims client.Reader, pool string) []reconcile.Request {
	var list v1.NodeClaimList
	if err := claims.List(ctx, &list, client.MatchingLabels{v1.NodePoolLabelKey: pool}); err != nil {
		log.FromContext(ctx).WithName(Name).Error(err, "listing nodeclaims of nodepool", "nodepool", pool)
		return nil
	}
	return requests(list.Items, func(*v1.NodeClaim) bool { return true })
}

// claimsOfClass lists the claims launched from the named node class; the cloud provider judges a claim against
// the class the claim itself references.
func claimsOfClass(ctx context.Context, claims client.Reader, gk schema.GroupKind, name string) []reconcile.Request {
	var list v1.NodeClaimList
	if err := claims.List(ctx, &list); err != nil {
		log.FromContext(ctx).WithName(Name).Error(err, "listing nodeclaims of node class", "nodeclass", name)
		return nil
	}
	return requests(list.Items, func(nc *v1.NodeClaim) bool {
		ref := nc.Spec.NodeClassRef
		return ref != nil && ref.Name == name && ref.Kind == gk.Kind && ref.Group == gk.Group
	})
}

func requests(claims []v1.NodeClaim, keep func(*v1.NodeClaim) bool) []reconcile.Request {
	var out []reconcile.Request
	for i := range claims {
		if keep(&claims[i]) {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: claims[i].Name}})
		}
	}
	return out
}
