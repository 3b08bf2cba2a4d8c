package nodeclass

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// finalize deletes what Stevedore created for a class being deleted, once no NodeClaim uses it: a claim still
// launching or draining needs the class's launch templates and instance profile.
func (c *Controller) finalize(ctx context.Context, nc *awsv1.EC2NodeClass) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(nc, awsv1.TerminationFinalizer) {
		return reconcile.Result{}, nil
	}
	claims, err := c.claimsOf(ctx, nc.Name)
	if err != nil {
		return reconcile.Result{}, err
	}
	if len(claims) > 0 {
		stored := nc.DeepCopy()
		note := waitingMessage(claims)
		if nc.Conditions().Set(awsv1.ConditionTypeTerminating, metav1.ConditionTrue, awsv1.ReasonWaitingOnNodeClaims, note) {
			c.publish(nc, waitingOnNodeClaims(note))
		}
		// The NodeClaim watch wakes the class as its claims go; the requeue is a backstop for a missed event.
		return reconcile.Result{RequeueAfter: NotReadyPeriod}, c.patchStatus(ctx, stored, nc)
	}
	if err := c.LaunchTemplates.DeleteAll(ctx, nc.Name); err != nil {
		return reconcile.Result{}, fmt.Errorf("deleting launch templates of ec2nodeclass %s: %w", nc.Name, err)
	}
	if err := c.InstanceProfiles.Delete(ctx, nc); err != nil {
		return reconcile.Result{}, fmt.Errorf("deleting instance profile of ec2nodeclass %s: %w", nc.Name, err)
	}
	stored := nc.DeepCopy()
	controllerutil.RemoveFinalizer(nc, awsv1.TerminationFinalizer)
	if err := c.Client.Patch(ctx, nc, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(fmt.Errorf("removing finalizer from ec2nodeclass %s: %w", nc.Name, err))
	}
	return reconcile.Result{}, nil
}

// claimsOf returns the names of the NodeClaims that reference the class, sorted.
func (c *Controller) claimsOf(ctx context.Context, class string) ([]string, error) {
	var list v1.NodeClaimList
	if err := c.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing nodeclaims: %w", err)
	}
	var names []string
	for _, claim := range list.Items {
		if ref := claim.Spec.NodeClassRef; ref != nil && ref.Group == awsv1.Group && ref.Name == class {
			names = append(names, claim.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// waitingMessage names the claims blocking deletion, the first few of them when there are many.
func waitingMessage(claims []string) string {
	shown := strings.Join(claims[:min(len(claims), maxBlockerNames)], ", ")
	if more := len(claims) - maxBlockerNames; more > 0 {
		shown += fmt.Sprintf(" and %d more", more)
	}
	return fmt.Sprintf("deletion waits for %d NodeClaim(s) that use this EC2NodeClass to terminate: %s", len(claims), shown)
}
