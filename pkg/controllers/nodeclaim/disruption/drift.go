package disruption

import (
	"context"
	"fmt"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// Reasons of the Drifted condition this controller decides itself; the cloud provider's reasons (such as
// AMIDrift) are recorded as it reports them.
const (
	// NodePoolDrift means the NodePool's template (labels, annotations, taints, startup taints or
	// nodeClassRef) changed since the claim was made from it.
	NodePoolDrift cloudprovider.DriftReason = "NodePoolDrift"
	// RequirementsDrift means the claim's labels no longer satisfy the NodePool's requirements.
	RequirementsDrift cloudprovider.DriftReason = "RequirementsDrift"
)

// drift is why a claim has drifted; the zero value means it has not.
type drift struct {
	reason  cloudprovider.DriftReason
	message string
}

// drift checks the claim against its pool and then the cloud, returning the first reason found. A claim
// without a pool has not drifted. It may stamp the pool's hash on the claim (see stampHash).
func (c *Controller) drift(ctx context.Context, claim *v1.NodeClaim, pool *v1.NodePool) (drift, error) {
	if pool == nil {
		return drift{}, nil
	}
	if d := hashDrift(claim, pool); d.reason != "" {
		return d, nil
	}
	if d := requirementsDrift(claim, pool); d.reason != "" {
		return d, nil
	}
	return c.cloudDrift(ctx, claim)
}

// hashDrift compares the hash stamped on the claim with the pool's. A claim stamped under another hash version,
// or not at all (made before hashes existed), cannot be compared: it is stamped with the current hash, so only
// template changes from now on make it drift.
func hashDrift(claim *v1.NodeClaim, pool *v1.NodePool) drift {
	want := pool.Hash()
	got, ok := claim.Annotations[v1.NodePoolHashAnnotationKey]
	if !ok || claim.Annotations[v1.NodePoolHashVersionAnnotationKey] != v1.NodePoolHashVersion {
		stampHash(claim, want)
		return drift{}
	}
	if got == want {
		return drift{}
	}
	return drift{reason: NodePoolDrift, message: fmt.Sprintf(
		"nodepool %s's template (labels, annotations, taints, startup taints or nodeClassRef) changed after this node was made from it (hash %s, now %s); the node will be replaced by one from the current template, or revert the change to keep it",
		pool.Name, got, want)}
}

func stampHash(claim *v1.NodeClaim, hash string) {
	if claim.Annotations == nil {
		claim.Annotations = map[string]string{}
	}
	claim.Annotations[v1.NodePoolHashAnnotationKey] = hash
	claim.Annotations[v1.NodePoolHashVersionAnnotationKey] = v1.NodePoolHashVersion
}

// requirementsDrift checks each of the pool's requirements, in key order, against the claim's labels: a label
// whose value the requirement no longer allows, or a missing label the requirement needs, is drift. Comparing
// by meaning lets a requirement widen without replacing any node.
func requirementsDrift(claim *v1.NodeClaim, pool *v1.NodePool) drift {
	reqs := scheduling.FromNodePoolRequirements(pool.Spec.Template.Spec.Requirements...)
	for _, key := range reqs.Keys() {
		r := reqs[key]
		value, ok := claim.Labels[key]
		switch {
		case ok && !r.Has(value):
			return drift{reason: RequirementsDrift, message: fmt.Sprintf(
				"label %s=%s no longer satisfies nodepool %s's requirement %s; the node will be replaced by one that does, or widen the requirement to keep it",
				key, value, pool.Name, r)}
		case !ok && !r.AllowsAbsent():
			return drift{reason: RequirementsDrift, message: fmt.Sprintf(
				"the node has no label %s, which nodepool %s's requirement %s now needs; the node will be replaced by one that has it, or relax the requirement to keep it",
				key, pool.Name, r)}
		}
	}
	return drift{}
}

// cloudDrift asks the cloud provider whether the claim's machine still matches its node class. A claim without
// a provider ID has no machine to ask about.
func (c *Controller) cloudDrift(ctx context.Context, claim *v1.NodeClaim) (drift, error) {
	if claim.Status.ProviderID == "" {
		return drift{}, nil
	}
	reason, err := c.cloud.IsDrifted(ctx, claim)
	if err != nil {
		return drift{}, fmt.Errorf("checking nodeclaim %s for cloud drift: %w", claim.Name, err)
	}
	if reason == "" {
		return drift{}, nil
	}
	class := "its node class"
	if ref := claim.Spec.NodeClassRef; ref != nil {
		class = fmt.Sprintf("%s %s", ref.Kind, ref.Name)
	}
	return drift{reason: reason, message: fmt.Sprintf(
		"the %s cloud provider reports %s: the instance %s no longer matches what %s launches now (image, subnets, security groups or its spec); the node will be replaced by one that does",
		c.cloud.Name(), reason, claim.Status.ProviderID, class)}, nil
}
