package status

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// Name identifies the controller.
const Name = "nodepool.status"

// Reasons for NodeClassReady.
const (
	ReasonNodeClassNotFound = "NodeClassNotFound"
	ReasonNodeClassNotReady = "NodeClassNotReady"
)

// NodeClassKinds maps the node class group/kind a pool may reference to the version to read it at.
type NodeClassKinds map[schema.GroupKind]string

// Controller reconciles NodePool status.
type Controller struct {
	kube    client.Client
	classes NodeClassKinds
}

// NewController returns a Controller that reads node classes of the given kinds.
func NewController(kube client.Client, classes NodeClassKinds) *Controller {
	return &Controller{kube: kube, classes: classes}
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register watches NodePools, their NodeClaims and their node classes.
func (c *Controller) Register(mgr manager.Manager) error {
	b := builder.ControllerManagedBy(mgr).Named(Name).
		For(&v1.NodePool{}).
		Watches(&v1.NodeClaim{}, handler.EnqueueRequestsFromMapFunc(poolOf))
	for gk, version := range c.classes {
		class := &unstructured.Unstructured{}
		class.SetGroupVersionKind(gk.WithVersion(version))
		b = b.Watches(class, handler.EnqueueRequestsFromMapFunc(c.poolsUsing(gk)))
	}
	return b.Complete(c)
}

func poolOf(_ context.Context, o client.Object) []reconcile.Request {
	if pool := o.GetLabels()[v1.NodePoolLabelKey]; pool != "" {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: pool}}}
	}
	return nil
}

func (c *Controller) poolsUsing(gk schema.GroupKind) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var pools v1.NodePoolList
		if err := c.kube.List(ctx, &pools); err != nil {
			return nil
		}
		var out []reconcile.Request
		for _, p := range pools.Items {
			ref := p.Spec.Template.Spec.NodeClassRef
			if ref != nil && ref.Name == o.GetName() && ref.Kind == gk.Kind && ref.Group == gk.Group {
				out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: p.Name}})
			}
		}
		return out
	}
}

// Reconcile recomputes one pool's status and patches it when it changed.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	pool := &v1.NodePool{}
	if err := c.kube.Get(ctx, req.NamespacedName, pool); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	stored := pool.DeepCopy()
	var claims v1.NodeClaimList
	if err := c.kube.List(ctx, &claims, client.MatchingLabels{v1.NodePoolLabelKey: pool.Name}); err != nil {
		return reconcile.Result{}, fmt.Errorf("listing nodeclaims of nodepool %s: %w", pool.Name, err)
	}
	pool.Status.Resources = usage(pool.Name, claims.Items)

	set := pool.Conditions()
	set.Initialize()
	set.SetTrue(v1.ConditionTypeValidationSucceeded)
	if err := c.nodeClassReady(ctx, pool, set); err != nil {
		return reconcile.Result{}, err
	}
	if equality.Semantic.DeepEqual(stored.Status, pool.Status) {
		return reconcile.Result{}, nil
	}
	if err := c.kube.Status().Patch(ctx, pool, client.MergeFrom(stored)); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	return reconcile.Result{}, nil
}

// usage sums the capacity of the claims that are not being deleted, with "nodes" their count.
func usage(pool string, claims []v1.NodeClaim) corev1.ResourceList {
	u := scheduling.PoolUsage{}
	for _, claim := range claims {
		if claim.DeletionTimestamp.IsZero() {
			u.Add(pool, claim.Status.Capacity)
		}
	}
	return u.Of(pool)
}

// nodeClassReady mirrors the node class's Ready condition.
func (c *Controller) nodeClassReady(ctx context.Context, pool *v1.NodePool, set conditions.Set) error {
	ref := pool.Spec.Template.Spec.NodeClassRef
	version, known := c.classes[schema.GroupKind{Group: ref.Group, Kind: ref.Kind}]
	if !known {
		set.SetFalse(v1.ConditionTypeNodeClassReady, ReasonNodeClassNotFound,
			fmt.Sprintf("spec.template.spec.nodeClassRef names kind %s in group %s, which this controller does not serve", ref.Kind, ref.Group))
		return nil
	}
	class := &unstructured.Unstructured{}
	class.SetGroupVersionKind(schema.GroupVersionKind{Group: ref.Group, Version: version, Kind: ref.Kind})
	if err := c.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, class); err != nil {
		if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("getting %s %s: %w", ref.Kind, ref.Name, err)
		}
		set.SetFalse(v1.ConditionTypeNodeClassReady, ReasonNodeClassNotFound,
			fmt.Sprintf("%s %q named by spec.template.spec.nodeClassRef does not exist; create it or fix the reference", ref.Kind, ref.Name))
		return nil
	}
	ready := readyOf(class)
	switch {
	case ready == nil:
		set.SetUnknown(v1.ConditionTypeNodeClassReady, conditions.ReasonAwaitingReconciliation,
			fmt.Sprintf("%s %q has not been resolved yet", ref.Kind, ref.Name))
	case ready.Status == metav1.ConditionTrue:
		set.SetTrue(v1.ConditionTypeNodeClassReady)
	default:
		set.SetFalse(v1.ConditionTypeNodeClassReady, ReasonNodeClassNotReady,
			fmt.Sprintf("%s %q is not ready: %s", ref.Kind, ref.Name, ready.Message))
	}
	return nil
}

func readyOf(class *unstructured.Unstructured) *metav1.Condition {
	raw, _, _ := unstructured.NestedSlice(class.Object, "status", "conditions")
	var list []metav1.Condition
	for _, item := range raw {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		cond := metav1.Condition{}
		cond.Type, _ = m["type"].(string)
		status, _ := m["status"].(string)
		cond.Status = metav1.ConditionStatus(status)
		cond.Message, _ = m["message"].(string)
		list = append(list, cond)
	}
	return meta.FindStatusCondition(list, conditions.Ready)
}
