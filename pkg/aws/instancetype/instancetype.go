package instancetype

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// DefaultVMMemoryOverheadPercent is the share of an instance's memory the hypervisor and firmware keep,
// which the node never reports (the controller's --vm-memory-overhead-percent).
const DefaultVMMemoryOverheadPercent = 0.075

// Options are the controller-wide inputs to the node model.
type Options struct {
	// Region the nodes run in, such as us-east-1.
	Region string
	// VMMemoryOverheadPercent is the share of memory a node never reports, in [0, 1); callers pass
	// DefaultVMMemoryOverheadPercent unless the user set another.
	VMMemoryOverheadPercent float64
	// Unavailable, when set, marks offerings EC2 recently had no capacity for (see pkg/aws/ice).
	Unavailable Unavailable
	// Offerings, when set, says which zones EC2 sells each type in (see OfferingsSource); a type is not offered
	// in a zone without it. Nil offers every type in every zone, as offline data cannot tell.
	Offerings ZonalOfferings
}

// Unavailable reports offerings that should not be planned on for now.
type Unavailable interface {
	IsUnavailable(capacityType, instanceType, zone string) bool
}

// FactsSource lists the instance types a region offers: the embedded catalog offline, DescribeInstanceTypes
// in production.
type FactsSource interface {
	InstanceTypes(ctx context.Context) ([]Facts, error)
}

// Pricing prices offerings, in US dollars per hour. A type with no price in a zone and capacity type is not
// offered there.
type Pricing interface {
	// OnDemandPrice is the on-demand price of the type in the region.
	OnDemandPrice(instanceType string) (float64, bool)
	// SpotPrice is the current spot price of the type in the zone.
	SpotPrice(instanceType, zone string) (float64, bool)
}

// Provider turns instance-type facts into the InstanceTypes a NodePool may launch.
type Provider struct {
	facts   FactsSource
	pricing Pricing
	opts    Options
	cache   *typeCache
}

// NewProvider returns a Provider.
func NewProvider(facts FactsSource, pricing Pricing, opts Options) *Provider {
	return &Provider{facts: facts, pricing: pricing, opts: opts, cache: newTypeCache()}
}

// Request says what to build instance types for.
type Request struct {
	// NodeClass supplies the kubelet settings, CNI mode, root volume and, from its status, the zones of its
	// subnets.
	NodeClass *awsv1.EC2NodeClass
	// NodePool's requirements filter the types; its template labels and taints decide which DaemonSets run.
	// Nil means every type, with no labels or taints.
	NodePool *v1.NodePool
	// Zones to offer in when the node class has no resolved subnets yet (offline use).
	Zones []string
	// DaemonSetPods are the pods the cluster's DaemonSets would create on a new node.
	DaemonSetPods []*corev1.Pod
}

// InstanceTypes returns the instance types compatible with the request's NodePool, ordered by name, each
// with capacity, overhead (per-type DaemonSet overhead included), requirements and priced offerings.
// Types with no priced offering are left out: they cannot be launched.
//
// When every source is Versioned and the node class and NodePool are stored objects (they have UIDs), the
// result is cached until a source, the node class, the NodePool or the DaemonSet pods change; offering
// availability is applied afresh on every call. Cached or not, callers must not modify what they get: instance
// types may be shared between calls.
func (p *Provider) InstanceTypes(ctx context.Context, req Request) ([]*cloudprovider.InstanceType, error) {
	zones := req.Zones
	if subnets := req.NodeClass.Status.Subnets; len(subnets) > 0 {
		zones = nil
		for _, s := range subnets {
			zones = append(zones, s.Zone)
		}
	}
	zones = slices.Compact(slices.Sorted(slices.Values(zones)))
	// The key is taken before the sources are read, so a refresh during the build only makes a later miss.
	key, cacheable := p.cacheKey(req, zones)
	if cacheable {
		if types, ok := p.cache.get(key); ok {
			return p.withAvailability(types, true), nil
		}
	}
	types, err := p.instanceTypes(ctx, req, zones)
	if err != nil || !cacheable {
		return p.withAvailability(types, false), err
	}
	p.cache.put(key, types)
	return p.withAvailability(types, true), nil
}

// instanceTypes builds the instance types with every offering available.
func (p *Provider) instanceTypes(ctx context.Context, req Request, zones []string) ([]*cloudprovider.InstanceType, error) {
	facts, err := p.facts.InstanceTypes(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing instance types: %w", err)
	}

	poolReqs, poolLabels, taints := scheduling.Requirements{}, scheduling.Requirements{}, []corev1.Taint(nil)
	if np := req.NodePool; np != nil {
		poolReqs = scheduling.FromNodePoolRequirements(np.Spec.Template.Spec.Requirements...)
		labels := map[string]string{v1.NodePoolLabelKey: np.Name}
		for k, v := range np.Spec.Template.ObjectMeta.Labels {
			labels[k] = string(v)
		}
		poolLabels = scheduling.FromLabels(labels)
		taints = v1.CoreTaints(np.Spec.Template.Spec.Taints)
	}

	daemonSets := scheduling.NewDaemonSets(req.DaemonSetPods)
	out := make([]*cloudprovider.InstanceType, 0, len(facts))
	for _, f := range facts {
		offerings := p.offerings(f, zones)
		if len(offerings) == 0 {
			continue
		}
		it := p.build(f, req.NodeClass, offerings)
		if poolReqs.Compatible(it.Requirements, func(key string) bool { return !WellKnown(key) }) != nil {
			continue
		}
		if len(it.Offerings.Compatible(poolReqs)) == 0 {
			continue
		}
		node := it.Requirements.Copy()
		node.AddAll(poolLabels)
		node.AddAll(poolReqs)
		it.Overhead.DaemonSets = daemonSets.Overhead(node, taints)
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b *cloudprovider.InstanceType) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// build computes one instance type under the node class.
func (p *Provider) build(f Facts, nc *awsv1.EC2NodeClass, offerings cloudprovider.Offerings) *cloudprovider.InstanceType {
	capacity := Capacity(f, nc, p.opts.VMMemoryOverheadPercent)
	pods := capacity[corev1.ResourcePods]
	return &cloudprovider.InstanceType{
		Name:         f.Name,
		Requirements: Requirements(f, p.opts.Region, offerings),
		Offerings:    offerings,
		Capacity:     capacity,
		Overhead: cloudprovider.Overhead{
			KubeReserved:      KubeReserved(f.VCPU, pods.Value(), nc),
			SystemReserved:    SystemReserved(nc),
			EvictionThreshold: EvictionThreshold(capacity, nc),
		},
	}
}

// offerings are the type's priced zone and capacity-type combinations in the zones EC2 sells it in, all
// available; withAvailability marks those recently out of capacity.
func (p *Provider) offerings(f Facts, zones []string) cloudprovider.Offerings {
	var out cloudprovider.Offerings
	onDemand, hasOnDemand := p.pricing.OnDemandPrice(f.Name)
	for _, zone := range zones {
		if p.opts.Offerings != nil && !p.opts.Offerings.Offered(f.Name, zone) {
			continue
		}
		if hasOnDemand {
			out = append(out, cloudprovider.Offering{Zone: zone, CapacityType: v1.CapacityTypeOnDemand, Price: onDemand, Available: true})
		}
		if spot, ok := p.pricing.SpotPrice(f.Name, zone); ok {
			out = append(out, cloudprovider.Offering{Zone: zone, CapacityType: v1.CapacityTypeSpot, Price: spot, Available: true})
		}
	}
	return out
}

// withAvailability marks the offerings EC2 recently had no capacity for as unavailable, so the solver plans
// around them while they still show in what the type could offer. Shared (cached) types are copied first, with
// their own offerings; the rest are marked in place.
func (p *Provider) withAvailability(types []*cloudprovider.InstanceType, shared bool) []*cloudprovider.InstanceType {
	if p.opts.Unavailable == nil {
		if shared {
			return slices.Clone(types)
		}
		return types
	}
	out := types
	if shared {
		out = make([]*cloudprovider.InstanceType, len(types))
	}
	for i, it := range types {
		if shared {
			c := *it
			c.Offerings = slices.Clone(it.Offerings)
			it = &c
			out[i] = it
		}
		for j := range it.Offerings {
			o := &it.Offerings[j]
			o.Available = !p.opts.Unavailable.IsUnavailable(o.CapacityType, it.Name, o.Zone)
		}
	}
	return out
}
