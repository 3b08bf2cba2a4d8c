package disruption

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

// Outcomes of a command, for the decisions metric.
const (
	outcomeExecuted = "executed"
	outcomeAborted  = "aborted"
	outcomeFailed   = "failed"
)

// replacementPoll is how often replacements are checked for initialization.
const replacementPoll = 2 * time.Second

// execute carries out one command: validation for consolidation, then taint, replacements, and deletion.
func (c *Controller) execute(ctx context.Context, in *disruption.Input, cmd *disruption.Command) {
	logger := log.FromContext(ctx).WithValues("method", cmd.Method, "command", cmd.String())
	start := c.deps.Clock.Now()
	outcome := outcomeFailed
	defer func() {
		c.metrics.decisions.WithLabelValues(string(cmd.Method), cmd.Action(), outcome).Inc()
		c.metrics.commandDuration.WithLabelValues(string(cmd.Method)).Observe(c.deps.Clock.Since(start).Seconds())
	}()
	if validated(cmd.Method) {
		select {
		case <-ctx.Done():
			outcome = outcomeAborted
			return
		case <-c.deps.Clock.After(c.opts.ValidationPeriod):
		}
		fresh, err := c.input(ctx)
		if err != nil {
			logger.Error(err, "reading the cluster to validate a disruption")
			return
		}
		again, err := disruption.Revalidate(fresh, cmd, c.checker)
		if err != nil {
			outcome = outcomeAborted
			logger.Info("disruption dropped at validation", "reason", err.Error())
			c.publishAll(cmd, aborted(cmd, err))
			return
		}
		in, cmd = fresh, again
	}
	if err := c.carryOut(ctx, in, cmd); err != nil {
		logger.Error(err, "disruption rolled back")
		c.publishAll(cmd, rolledBack(cmd, err))
		return
	}
	outcome = outcomeExecuted
	if s := cmd.Savings(); s > 0 {
		c.metrics.savingsRealised.WithLabelValues(string(cmd.Method)).Add(s)
	}
	logger.Info("disrupting nodes")
}

// validated reports whether the method's commands wait and are re-checked: consolidation is optional and its
// premises change; an expired or drifted node must go whatever changed.
func validated(m disruption.Method) bool {
	return m != disruption.MethodExpiration && m != disruption.MethodDrift
}

// carryOut taints the candidates, launches the replacements and waits for them, then deletes the candidates.
// Any failure before the deletion rolls back.
func (c *Controller) carryOut(ctx context.Context, in *disruption.Input, cmd *disruption.Command) error {
	c.publishAll(cmd, starting(cmd))
	if err := c.mark(ctx, cmd, true); err != nil {
		return errors.Join(err, c.rollback(ctx, cmd, nil))
	}
	replacements, err := c.launch(ctx, in, cmd)
	if err == nil {
		err = c.waitInitialized(ctx, replacements)
	}
	if err != nil {
		return errors.Join(err, c.rollback(ctx, cmd, replacements))
	}
	var errs []error
	for _, cand := range cmd.Candidates {
		var obj client.Object = &v1.NodeClaim{ObjectMeta: metav1.ObjectMeta{Name: cand.NodeClaim}}
		if cand.NodeClaim == "" {
			obj = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: cand.Name}}
		}
		if err := c.deps.Client.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", cand.Name, err))
		}
	}
	return errors.Join(errs...)
}

// mark taints the candidates' nodes so that nothing new lands on them and sets their claims' Disrupting
// condition, or, with on false, undoes both.
func (c *Controller) mark(ctx context.Context, cmd *disruption.Command, on bool) error {
	var errs []error
	for _, cand := range cmd.Candidates {
		if err := c.taint(ctx, cand.Name, on); err != nil {
			errs = append(errs, err)
		}
		if cand.NodeClaim == "" {
			continue
		}
		if err := c.setDisrupting(ctx, cand.NodeClaim, cmd, on); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) taint(ctx context.Context, node string, on bool) error {
	var n corev1.Node
	if err := c.deps.Client.Get(ctx, client.ObjectKey{Name: node}, &n); err != nil {
		return client.IgnoreNotFound(err)
	}
	has := false
	kept := n.Spec.Taints[:0:0]
	for _, t := range n.Spec.Taints {
		if t.Key == v1.DisruptedTaintKey {
			has = true
			continue
		}
		kept = append(kept, t)
	}
	if has == on {
		return nil
	}
	patch := client.MergeFromWithOptions(n.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if on {
		kept = append(kept, corev1.Taint{Key: v1.DisruptedTaintKey, Effect: corev1.TaintEffectNoSchedule})
	}
	n.Spec.Taints = kept
	if err := c.deps.Client.Patch(ctx, &n, patch); err != nil {
		return fmt.Errorf("tainting node %s: %w", node, err)
	}
	return nil
}

func (c *Controller) setDisrupting(ctx context.Context, name string, cmd *disruption.Command, on bool) error {
	var nc v1.NodeClaim
	if err := c.deps.Client.Get(ctx, client.ObjectKey{Name: name}, &nc); err != nil {
		return client.IgnoreNotFound(err)
	}
	patch := client.MergeFrom(nc.DeepCopy())
	if on {
		meta.SetStatusCondition(&nc.Status.Conditions, metav1.Condition{
			Type: v1.ConditionTypeDisrupting, Status: metav1.ConditionTrue, Reason: string(cmd.Reason()),
			Message: truncate(cmd.String()), ObservedGeneration: nc.Generation,
		})
	} else if !meta.RemoveStatusCondition(&nc.Status.Conditions, v1.ConditionTypeDisrupting) {
		return nil
	}
	if err := c.deps.Client.Status().Patch(ctx, &nc, patch); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("marking nodeclaim %s: %w", name, err))
	}
	return nil
}

// launch creates the replacements' NodeClaims, as the provisioner would, and tells the state model of them.
func (c *Controller) launch(ctx context.Context, in *disruption.Input, cmd *disruption.Command) ([]*v1.NodeClaim, error) {
	var created []*v1.NodeClaim
	for _, r := range cmd.Replacements {
		var pool *v1.NodePool
		types := map[string]*cloudprovider.InstanceType{}
		for _, np := range in.Snapshot.NodePools {
			if np.NodePool.Name == r.NodePool {
				pool = np.NodePool
				for _, it := range np.InstanceTypes {
					types[it.Name] = it
				}
			}
		}
		if pool == nil {
			return created, fmt.Errorf("replacement from nodepool %s: the nodepool is gone", r.NodePool)
		}
		claim := provisioning.NodeClaim(pool, r, types)
		if err := c.deps.Client.Create(ctx, claim); err != nil {
			return created, fmt.Errorf("creating a replacement from nodepool %s: %w", pool.Name, err)
		}
		c.deps.Cluster.UpdateNodeClaim(claim)
		created = append(created, claim)
	}
	return created, nil
}

// waitInitialized waits until every replacement is Initialized; one deleted (its launch failed for want of
// capacity) or the timeout fails the command.
func (c *Controller) waitInitialized(ctx context.Context, claims []*v1.NodeClaim) error {
	deadline := c.deps.Clock.Now().Add(c.opts.ReplacementTimeout)
	for {
		ready := 0
		for _, want := range claims {
			var nc v1.NodeClaim
			if err := c.deps.Client.Get(ctx, client.ObjectKeyFromObject(want), &nc); err != nil {
				if apierrors.IsNotFound(err) {
					return fmt.Errorf("replacement %s was deleted before it initialized", want.Name)
				}
				return fmt.Errorf("reading replacement %s: %w", want.Name, err)
			}
			if !nc.DeletionTimestamp.IsZero() {
				return fmt.Errorf("replacement %s is being deleted before it initialized", want.Name)
			}
			if meta.IsStatusConditionTrue(nc.Status.Conditions, v1.ConditionTypeInitialized) {
				ready++
			}
		}
		if ready == len(claims) {
			return nil
		}
		if !c.deps.Clock.Now().Before(deadline) {
			return fmt.Errorf("%d of %d replacements initialized within %s", ready, len(claims), c.opts.ReplacementTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.deps.Clock.After(replacementPoll):
		}
	}
}

// rollback un-taints the candidates and deletes the replacements that did not initialize; the ones that did
// stay, as any node does, for consolidation to judge.
func (c *Controller) rollback(ctx context.Context, cmd *disruption.Command, replacements []*v1.NodeClaim) error {
	// The command's context may be done (the leader stepping down); undoing must still happen.
	ctx = context.WithoutCancel(ctx)
	errs := []error{c.mark(ctx, cmd, false)}
	for _, r := range replacements {
		var nc v1.NodeClaim
		if err := c.deps.Client.Get(ctx, client.ObjectKeyFromObject(r), &nc); err != nil {
			continue
		}
		if meta.IsStatusConditionTrue(nc.Status.Conditions, v1.ConditionTypeInitialized) {
			continue
		}
		if err := c.deps.Client.Delete(ctx, &nc); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting replacement %s: %w", nc.Name, err))
		}
	}
	return errors.Join(errs...)
}

// recover un-taints the nodes a previous leader left tainted mid-command: tainted for disruption, yet neither
// the node nor its claim being deleted. It runs before the first pass.
func (c *Controller) recover(ctx context.Context) error {
	var nodes corev1.NodeList
	if err := c.deps.Client.List(ctx, &nodes); err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	var claims v1.NodeClaimList
	if err := c.deps.Client.List(ctx, &claims); err != nil {
		return fmt.Errorf("listing nodeclaims: %w", err)
	}
	claimOf := map[string]*v1.NodeClaim{}
	for i := range claims.Items {
		claimOf[claims.Items[i].Status.NodeName] = &claims.Items[i]
	}
	var errs []error
	for i := range nodes.Items {
		n := &nodes.Items[i]
		nc := claimOf[n.Name]
		if !n.DeletionTimestamp.IsZero() || nc == nil || !nc.DeletionTimestamp.IsZero() || !hasDisruptedTaint(n) {
			continue
		}
		cmd := &disruption.Command{Candidates: []*disruption.Candidate{{Name: n.Name, NodeClaim: nc.Name}}}
		if err := c.mark(ctx, cmd, false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func hasDisruptedTaint(n *corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == v1.DisruptedTaintKey {
			return true
		}
	}
	return false
}

// truncate keeps a condition message within the API's limit.
func truncate(s string) string {
	const limit = 32768
	if len(s) <= limit {
		return s
	}
	return s[:limit-3] + "..."
}
