package lifecycle

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

const nodeClaimKind = "NodeClaim"

// register finds the Node the claim's instance registered as and adopts it.
func (c *Controller) register(ctx context.Context, p *pass) (reconcile.Result, error) {
	claim := p.claim
	if claim.Status.ProviderID == "" {
		return reconcile.Result{}, nil
	}
	node, err := c.nodeFor(ctx, claim.Status.ProviderID)
	if err != nil {
		return reconcile.Result{}, err
	}
	if node == nil {
		// A Node that goes away after registering is the termination controller's business, not a reason to
		// say the claim never registered.
		if claim.Conditions().IsTrue(v1.ConditionTypeRegistered) {
			return reconcile.Result{}, nil
		}
		claim.Conditions().SetFalse(v1.ConditionTypeRegistered, v1.ReasonNodeNotFound,
			fmt.Sprintf("no node has registered with provider ID %s", claim.Status.ProviderID))
		return reconcile.Result{RequeueAfter: registrationPoll}, nil
	}
	if err := c.adopt(ctx, claim, node); err != nil {
		return reconcile.Result{}, err
	}
	p.node = node
	claim.Status.NodeName = node.Name
	if claim.Conditions().IsTrue(v1.ConditionTypeRegistered) {
		return reconcile.Result{}, nil
	}
	claim.Conditions().SetTrue(v1.ConditionTypeRegistered)
	pool := claim.Labels[v1.NodePoolLabelKey]
	c.metrics.registered.WithLabelValues(pool).Inc()
	if launched := claim.Conditions().Get(v1.ConditionTypeLaunched); launched != nil && launched.Status == metav1.ConditionTrue {
		c.metrics.registrationDuration.WithLabelValues(pool).Observe(c.clock.Since(launched.LastTransitionTime.Time).Seconds())
	}
	c.publish(claim, registered(node.Name))
	log.FromContext(ctx).Info("registered nodeclaim", "node", node.Name)
	return reconcile.Result{}, nil
}

// nodeFor returns the Node with the provider ID, or nil. A Node being deleted does not count: it cannot be adopted
// (the API server refuses new finalizers on it), and a new one may register in its place.
func (c *Controller) nodeFor(ctx context.Context, providerID string) (*corev1.Node, error) {
	var nodes corev1.NodeList
	if c.nodes != nil {
		if err := c.nodes.List(ctx, &nodes, client.MatchingFields{NodeProviderIDIndex: providerID}); err != nil {
			return nil, fmt.Errorf("listing nodes with provider id %s: %w", providerID, err)
		}
	} else if err := c.kube.List(ctx, &nodes); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	var found []*corev1.Node
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if n.Spec.ProviderID == providerID && n.DeletionTimestamp.IsZero() {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d nodes have provider id %s: %s and %s", len(found), providerID, found[0].Name, found[1].Name)
}

// adopt makes the Node the claim's: an owner reference names the claim, the termination finalizer holds the Node
// until its instance is gone, and the claim's labels mark it registered. The claim's taints and startup taints are
// applied when the Node first registers, and only then: startup taints are removed by other agents, and must not
// come back. The unregistered taint, which kept pods off the Node until now, goes.
func (c *Controller) adopt(ctx context.Context, claim *v1.NodeClaim, node *corev1.Node) error {
	stored := node.DeepCopy()
	if !slices.ContainsFunc(node.OwnerReferences, func(ref metav1.OwnerReference) bool { return ref.UID == claim.UID }) {
		node.OwnerReferences = append(node.OwnerReferences, metav1.OwnerReference{
			APIVersion: v1.SchemeGroupVersion.String(), Kind: nodeClaimKind, Name: claim.Name, UID: claim.UID,
		})
	}
	controllerutil.AddFinalizer(node, v1.TerminationFinalizer)
	firstTime := node.Labels[v1.NodeRegisteredLabelKey] != "true"
	if node.Labels == nil {
		node.Labels = map[string]string{}
	}
	for k, v := range claim.Labels {
		node.Labels[k] = v
	}
	node.Labels[v1.NodeRegisteredLabelKey] = "true"
	if firstTime {
		for _, t := range append(v1.CoreTaints(claim.Spec.Taints), v1.CoreTaints(claim.Spec.StartupTaints)...) {
			if !hasTaint(node.Spec.Taints, t) {
				node.Spec.Taints = append(node.Spec.Taints, t)
			}
		}
	}
	node.Spec.Taints = slices.DeleteFunc(node.Spec.Taints, func(t corev1.Taint) bool { return t.Key == v1.UnregisteredTaintKey })
	if equality.Semantic.DeepEqual(stored, node) {
		return nil
	}
	// The lock keeps this merge patch's taint, finalizer and owner lists from overwriting a concurrent writer's.
	if err := c.kube.Patch(ctx, node, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adopting node %s: %w", node.Name, err)
	}
	return nil
}

// hasTaint reports whether taints hold one with t's key and effect, which is how the scheduler matches taints.
func hasTaint(taints []corev1.Taint, t corev1.Taint) bool {
	return slices.ContainsFunc(taints, func(x corev1.Taint) bool { return x.MatchTaint(&t) })
}
