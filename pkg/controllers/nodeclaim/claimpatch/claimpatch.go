package claimpatch

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Patch writes claim, a changed copy of stored, as two patches: its metadata, then its status, each only if it
// changed. Both carry stored's resource version, so a write based on a stale read (a cache that has not seen a
// provider ID recorded a moment ago) fails with a conflict, to be retried, instead of overwriting newer data. A
// claim deleted meanwhile is not an error.
func Patch(ctx context.Context, kube client.Client, stored, claim *v1.NodeClaim) error {
	lock := client.MergeFromWithOptimisticLock{}
	base := stored
	if !equality.Semantic.DeepEqual(stored.ObjectMeta, claim.ObjectMeta) {
		withMeta := stored.DeepCopy()
		withMeta.ObjectMeta = *claim.ObjectMeta.DeepCopy()
		if err := kube.Patch(ctx, withMeta, client.MergeFromWithOptions(stored, lock)); err != nil {
			return client.IgnoreNotFound(fmt.Errorf("patching nodeclaim %s: %w", claim.Name, err))
		}
		// withMeta now holds what the server stored, with the new resource version and the old status.
		base = withMeta
	}
	if equality.Semantic.DeepEqual(base.Status, claim.Status) {
		return nil
	}
	withStatus := base.DeepCopy()
	withStatus.Status = *claim.Status.DeepCopy()
	if err := kube.Status().Patch(ctx, withStatus, client.MergeFromWithOptions(base, lock)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("patching status of nodeclaim %s: %w", claim.Name, err))
	}
	return nil
}
