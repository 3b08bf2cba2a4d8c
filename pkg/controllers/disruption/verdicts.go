package disruption

import (
	"context"
	"errors"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

// writeVerdicts sets each judged NodeClaim's Consolidatable condition, writing only those that changed, so a
// steady cluster costs no writes. A claim changed under us is left for the next pass.
func (c *Controller) writeVerdicts(ctx context.Context, result *disruption.Result) error {
	names := make([]string, 0, len(result.Verdicts))
	for name := range result.Verdicts {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		v := result.Verdicts[name]
		var nc v1.NodeClaim
		if err := c.deps.Client.Get(ctx, client.ObjectKey{Name: name}, &nc); err != nil {
			if !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("reading nodeclaim %s: %w", name, err))
			}
			continue // a node without a claim, or a claim just deleted
		}
		if !nc.DeletionTimestamp.IsZero() {
			continue
		}
		cond := metav1.Condition{
			Type: v1.ConditionTypeConsolidatable, Status: metav1.ConditionFalse, Reason: v.Reason, Message: v.Message,
			ObservedGeneration: nc.Generation,
		}
		if v.Consolidatable {
			cond.Status = metav1.ConditionTrue
		}
		if old := meta.FindStatusCondition(nc.Status.Conditions, cond.Type); old != nil &&
			old.Status == cond.Status && old.Reason == cond.Reason && old.Message == cond.Message {
			continue
		}
		patch := client.MergeFromWithOptions(nc.DeepCopy(), client.MergeFromWithOptimisticLock{})
		meta.SetStatusCondition(&nc.Status.Conditions, cond)
		if err := c.deps.Client.Status().Patch(ctx, &nc, patch); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("writing the Consolidatable condition of nodeclaim %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
