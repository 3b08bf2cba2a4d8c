package fake

import (
	"context"
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// CloudProvider is an in-memory cloudprovider.CloudProvider. Set its exported fields before use; all
// methods are safe for concurrent use.
type CloudProvider struct {
	mu sync.Mutex
	// InstanceTypeList is what InstanceTypes returns for every NodePool.
	InstanceTypeList []*cloudprovider.InstanceType
	// NextCreateErr, when set, is returned by the next Create, then cleared.
	NextCreateErr error
	// Drifted maps provider IDs to the drift reason IsDrifted reports.
	Drifted map[string]cloudprovider.DriftReason
	// CreateCalls records every claim Create was asked to launch, in order.
	CreateCalls []*v1.NodeClaim
	// DeleteCalls records every claim Delete was asked to terminate, in order.
	DeleteCalls []*v1.NodeClaim

	created map[string]*v1.NodeClaim
	nextID  int
}

var _ cloudprovider.CloudProvider = (*CloudProvider)(nil)

// New returns a fake offering the given instance types.
func New(instanceTypes ...*cloudprovider.InstanceType) *CloudProvider {
	return &CloudProvider{InstanceTypeList: instanceTypes}
}

// Create picks the cheapest available offering of the cheapest instance type compatible with the claim's
// requirements and records a machine for it.
func (c *CloudProvider) Create(_ context.Context, nodeClaim *v1.NodeClaim) (*v1.NodeClaim, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.CreateCalls = append(c.CreateCalls, nodeClaim.DeepCopy())
	if err := c.NextCreateErr; err != nil {
		c.NextCreateErr = nil
		return nil, err
	}
	reqs := scheduling.FromNodePoolRequirements(nodeClaim.Spec.Requirements...)
	type choice struct {
		it       *cloudprovider.InstanceType
		offering cloudprovider.Offering
	}
	var best *choice
	for _, it := range c.InstanceTypeList {
		if err := reqs.Compatible(it.Requirements, func(string) bool { return true }); err != nil {
			continue
		}
		o, ok := it.Offerings.Available().Compatible(reqs).Cheapest()
		if ok && (best == nil || o.Price < best.offering.Price) {
			best = &choice{it: it, offering: o}
		}
	}
	if best == nil {
		return nil, cloudprovider.NewInsufficientCapacityError(fmt.Errorf("no available offering satisfies %s", reqs))
	}
	c.nextID++
	launched := nodeClaim.DeepCopy()
	launched.Status.ProviderID = fmt.Sprintf("fake:///%s/i-%08d", best.offering.Zone, c.nextID)
	launched.Status.ImageID = "ami-fake"
	launched.Status.Capacity = best.it.Capacity.DeepCopy()
	launched.Status.Allocatable = best.it.Allocatable()
	if launched.Labels == nil {
		launched.Labels = map[string]string{}
	}
	for k, v := range best.it.Requirements.Labels() {
		launched.Labels[k] = v
	}
	launched.Labels[corev1.LabelInstanceTypeStable] = best.it.Name
	launched.Labels[corev1.LabelTopologyZone] = best.offering.Zone
	launched.Labels[v1.CapacityTypeLabelKey] = best.offering.CapacityType
	if c.created == nil {
		c.created = map[string]*v1.NodeClaim{}
	}
	c.created[launched.Status.ProviderID] = launched.DeepCopy()
	return launched, nil
}

// Delete forgets the claim's machine, returning NodeClaimNotFoundError when it is already gone.
func (c *CloudProvider) Delete(_ context.Context, nodeClaim *v1.NodeClaim) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.DeleteCalls = append(c.DeleteCalls, nodeClaim.DeepCopy())
	id := nodeClaim.Status.ProviderID
	if _, ok := c.created[id]; !ok {
		return cloudprovider.NewNodeClaimNotFoundError(fmt.Errorf("no machine %q", id))
	}
	delete(c.created, id)
	return nil
}

// Get returns the machine with the provider ID.
func (c *CloudProvider) Get(_ context.Context, providerID string) (*v1.NodeClaim, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if nc, ok := c.created[providerID]; ok {
		return nc.DeepCopy(), nil
	}
	return nil, cloudprovider.NewNodeClaimNotFoundError(fmt.Errorf("no machine %q", providerID))
}

// List returns every machine, ordered by provider ID.
func (c *CloudProvider) List(context.Context) ([]*v1.NodeClaim, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*v1.NodeClaim, 0, len(c.created))
	for _, nc := range c.created {
		out = append(out, nc.DeepCopy())
	}
	slices.SortFunc(out, func(a, b *v1.NodeClaim) int {
		switch {
		case a.Status.ProviderID < b.Status.ProviderID:
			return -1
		case a.Status.ProviderID > b.Status.ProviderID:
			return 1
		}
		return 0
	})
	return out, nil
}

// InstanceTypes returns InstanceTypeList.
func (c *CloudProvider) InstanceTypes(context.Context, *v1.NodePool) ([]*cloudprovider.InstanceType, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.InstanceTypeList), nil
}

// IsDrifted returns the reason recorded in Drifted for the claim's provider ID.
func (c *CloudProvider) IsDrifted(_ context.Context, nodeClaim *v1.NodeClaim) (cloudprovider.DriftReason, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Drifted[nodeClaim.Status.ProviderID], nil
}

// Name returns "fake".
func (c *CloudProvider) Name() string { return "fake" }
