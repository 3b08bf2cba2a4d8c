package solver

import (
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// share is how many of the class's remaining pods new nodes from the option and offering can expect to
// hold over the whole solve, or unlimited when nothing but the nodes' size bounds it. A spread over zones
// (or any key but hostname) lets a domain take only a step's allowance at a time, yet the domain ends up
// with its part of everything left: the class's remaining pods and those counted already, divided evenly
// over the eligible domains, less what the domain counts now. step reaches open only once the domain's
// existing nodes have no room, so that part is what new nodes there will hold.
func (s *solver) share(c *class, o *option, off cloudprovider.Offering, allowance int) int {
	m := unlimited
	for _, r := range c.rules {
		if r.kind != ruleSpread || !r.self || r.key == corev1.LabelHostname || len(r.eligible) == 0 {
			continue
		}
		d, ok := optionDomain(o, off, r.key)
		if !ok {
			continue
		}
		total := c.remaining()
		for _, e := range r.eligible {
			total += r.counts[e]
		}
		part := (total+len(r.eligible)-1)/len(r.eligible) - r.counts[d]
		m = min(m, max(part, allowance, 1))
	}
	return m
}

// perPod is what each of m pods of the class pays when they are bought in nodes of the option in the
// offering: full nodes of the type, and for the pods left over one node that finishing resizes to the
// cheapest type holding them. With m unbounded the nodes are taken to fill up. A large type that is
// cheap per pod when full thus pays for its empty part when the zone's share cannot fill it, unless a
// smaller type would hold that share as cheaply.
func (s *solver) perPod(c *class, o *option, off cloudprovider.Offering, m int) float64 {
	if m >= unlimited {
		return off.Price / float64(o.fit)
	}
	cost := float64(m/o.fit) * off.Price
	if r := m % o.fit; r > 0 {
		cost += min(off.Price, s.cheapestHolding(c, o.pt.pool, off, r))
	}
	return cost / float64(m)
}

// rung is one step of a class's price ladder: fit pods of the class fit on the cheapest type costing
// price, and no cheaper type holds as many.
type rung struct {
	fit   int
	price float64
}

// cheapestHolding is the price of the cheapest type of the pool, in the offering's zone and capacity type,
// that the class may use and that holds k of its pods. Ladders are built once per class, relaxation level,
// pool, zone and capacity type.
func (s *solver) cheapestHolding(c *class, p *pool, off cloudprovider.Offering, k int) float64 {
	if c.laddersLevel != c.level || c.ladders == nil {
		c.ladders, c.laddersLevel = map[ladderKey][]rung{}, c.level
	}
	key := ladderKey{pool: p, zone: off.Zone, capacityType: off.CapacityType}
	ladder, ok := c.ladders[key]
	if !ok {
		for _, pt := range s.byPrice(p, off.Zone, off.CapacityType) {
			fit := pt.avail.count(c.req, unlimited)
			if (len(ladder) > 0 && fit <= ladder[len(ladder)-1].fit) || fit == 0 || !s.usableIn(c, pt, off) {
				continue
			}
			price, _ := offeringIn(pt, off.Zone, off.CapacityType)
			ladder = append(ladder, rung{fit: fit, price: price.Price})
		}
		c.ladders[key] = ladder
	}
	i := sort.Search(len(ladder), func(i int) bool { return ladder[i].fit >= k })
	if i == len(ladder) {
		return off.Price
	}
	return ladder[i].price
}

// ladderKey names a price ladder.
type ladderKey struct {
	pool               *pool
	zone, capacityType string
}
