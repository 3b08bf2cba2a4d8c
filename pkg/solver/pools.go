package solver

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// pool is a NodePool prepared for the solve.
type pool struct {
	name   string
	weight int32
	reqs   scheduling.Requirements
	labels map[string]string
	taints []corev1.Taint
	// limits and usage, with limited marking the resources that have a limit; nodes is counted apart.
	limits, usage vector
	limited       []bool
	nodeLimit     int64 // -1: unlimited
	nodes         int64
	types         []*poolType
	// minValues is true when a requirement asks for a minimum number of distinct values.
	minValues bool
}

// poolType is an instance type as a given pool would launch it.
type poolType struct {
	pool     *pool
	it       *cloudprovider.InstanceType
	combined scheduling.Requirements // the type's labels ∩ the pool's requirements and template labels
	labels   map[string]string       // single-valued labels of the type and pool, zone and capacity type excluded
	avail    vector                  // what pods can use on a new node: allocatable minus DaemonSets
	capacity vector
	// offerings are available and allowed by the pool, cheapest first.
	offerings []cloudprovider.Offering
}

// option is a way to open a new node for a class: a pool's instance type and the offerings the class allows.
type option struct {
	pt        *poolType
	alt       scheduling.Requirements
	offerings []cloudprovider.Offering
	fit       int // pods of the class an empty node holds
}

func (s *solver) preparePools() {
	for _, np := range s.snapshot.NodePools {
		spec := np.NodePool.Spec
		p := &pool{
			name:      np.NodePool.Name,
			reqs:      scheduling.FromNodePoolRequirements(spec.Template.Spec.Requirements...),
			labels:    map[string]string{v1.NodePoolLabelKey: np.NodePool.Name},
			taints:    v1.CoreTaints(spec.Template.Spec.Taints),
			nodeLimit: -1,
		}
		if spec.Weight != nil {
			p.weight = *spec.Weight
		}
		for _, r := range p.reqs {
			p.minValues = p.minValues || r.MinValues != nil
		}
		for k, v := range spec.Template.ObjectMeta.Labels {
			p.labels[k] = string(v)
		}
		s.res.addAll(spec.Limits)
		s.res.addAll(np.Usage)
		for _, it := range np.InstanceTypes {
			s.res.addAll(it.Capacity)
		}
		s.pools = append(s.pools, p)
	}
	slices.SortStableFunc(s.pools, func(a, b *pool) int { return cmp.Or(cmp.Compare(b.weight, a.weight), cmp.Compare(a.name, b.name)) })
}

// finishPools converts quantities once every resource is indexed.
func (s *solver) finishPools() {
	byName := map[string]*NodePool{}
	for _, np := range s.snapshot.NodePools {
		byName[np.NodePool.Name] = np
	}
	for _, p := range s.pools {
		np := byName[p.name]
		p.limits = s.res.vector(np.NodePool.Spec.Limits)
		p.usage = s.res.vector(np.Usage)
		p.limited = make([]bool, len(s.res.names))
		for name := range np.NodePool.Spec.Limits {
			if name == "nodes" {
				q := np.NodePool.Spec.Limits[name]
				p.nodeLimit = q.Value()
				continue
			}
			p.limited[s.res.index[name]] = true
		}
		if q, ok := np.Usage["nodes"]; ok {
			p.nodes = q.Value()
		}
		poolLabels := scheduling.FromLabels(p.labels)
		for _, it := range np.InstanceTypes {
			pt := &poolType{pool: p, it: it, avail: s.res.vector(it.Available()), capacity: s.res.vector(it.Capacity)}
			pt.combined = it.Requirements.Copy()
			pt.combined.AddAll(p.reqs)
			pt.combined.AddAll(poolLabels)
			if !pt.satisfiable() {
				continue
			}
			zone, capacityType := pt.combined.Get(corev1.LabelTopologyZone), pt.combined.Get(v1.CapacityTypeLabelKey)
			for _, o := range it.Offerings {
				if o.Available && zone.Has(o.Zone) && capacityType.Has(o.CapacityType) {
					pt.offerings = append(pt.offerings, o)
				}
			}
			if len(pt.offerings) == 0 {
				continue
			}
			slices.SortStableFunc(pt.offerings, compareOfferings)
			pt.labels = pt.combined.Labels()
			delete(pt.labels, corev1.LabelTopologyZone)
			delete(pt.labels, v1.CapacityTypeLabelKey)
			p.types = append(p.types, pt)
		}
		slices.SortStableFunc(p.types, func(a, b *poolType) int { return cmp.Compare(a.it.Name, b.it.Name) })
	}
}

func (pt *poolType) satisfiable() bool {
	for _, r := range pt.combined {
		if !r.Satisfiable() {
			return false
		}
	}
	return true
}

func compareOfferings(a, b cloudprovider.Offering) int {
	return cmp.Or(cmp.Compare(a.Price, b.Price), cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.CapacityType, b.CapacityType))
}

// allows reports whether the pool's limits leave room for one more node with this capacity.
func (p *pool) allows(capacity vector) bool {
	if p.nodeLimit >= 0 && p.nodes+1 > p.nodeLimit {
		return false
	}
	for i, limited := range p.limited {
		if limited && p.usage[i]+capacity[i] > p.limits[i] {
			return false
		}
	}
	return true
}

func (p *pool) charge(capacity vector, nodes int64) {
	p.usage.add(capacity, int(nodes))
	p.nodes += nodes
}
