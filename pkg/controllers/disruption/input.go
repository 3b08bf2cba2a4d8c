package disruption

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

// input builds a pass's Input from the state model's snapshot and the cache: the Node and NodeClaim behind
// each snapshot node, and the PodDisruptionBudgets.
func (c *Controller) input(ctx context.Context) (*disruption.Input, error) {
	pools, err := c.pools(ctx)
	if err != nil {
		return nil, err
	}
	snapshot, _, err := c.deps.Cluster.Snapshot(ctx, nil, pools, c.opts.Solver)
	if err != nil {
		return nil, fmt.Errorf("taking a snapshot: %w", err)
	}
	var nodes corev1.NodeList
	if err := c.deps.Client.List(ctx, &nodes, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	var claims v1.NodeClaimList
	if err := c.deps.Client.List(ctx, &claims, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing nodeclaims: %w", err)
	}
	var pdbs policyv1.PodDisruptionBudgetList
	if err := c.deps.Client.List(ctx, &pdbs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing poddisruptionbudgets: %w", err)
	}
	nodeByName := make(map[string]*corev1.Node, len(nodes.Items))
	for i := range nodes.Items {
		nodeByName[nodes.Items[i].Name] = &nodes.Items[i]
	}
	claimByName := make(map[string]*v1.NodeClaim, len(claims.Items))
	claimByNode := make(map[string]*v1.NodeClaim, len(claims.Items))
	for i := range claims.Items {
		nc := &claims.Items[i]
		claimByName[nc.Name] = nc
		if nc.Status.NodeName != "" {
			claimByNode[nc.Status.NodeName] = nc
		}
	}
	in := &disruption.Input{
		Snapshot: snapshot, Now: c.deps.Clock.Now(),
		Options: disruption.Options{SpotToSpotConsolidation: c.opts.SpotToSpotConsolidation, Clock: c.deps.Clock.Now},
	}
	for _, sn := range snapshot.Nodes {
		n := &disruption.Node{}
		if sn.InFlight {
			n.NodeClaim = claimByName[sn.Name]
		} else {
			n.Node = nodeByName[sn.Name]
			n.NodeClaim = claimByNode[sn.Name]
			n.LastPodEvent = c.deps.Cluster.LastPodEvent(sn.Name)
		}
		in.Nodes = append(in.Nodes, n)
	}
	for i := range pdbs.Items {
		in.PDBs = append(in.PDBs, &pdbs.Items[i])
	}
	return in, nil
}

// pools are the NodePools replacements may come from: not being deleted, and not marked unusable.
func (c *Controller) pools(ctx context.Context) ([]*v1.NodePool, error) {
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
		if cond := meta.FindStatusCondition(np.Status.Conditions, v1.ConditionTypeValidationSucceeded); cond != nil && cond.Status == metav1.ConditionFalse {
			continue
		}
		out = append(out, np)
	}
	return out, nil
}
