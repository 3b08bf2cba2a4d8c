package solver

import (
	"math"
	"slices"
)

// simple reports whether the class has no constraint beyond node requirements, tolerations and resources:
// no topology rules, no host ports, no anti-affinity of others selecting it and no preferences in force.
func (s *solver) simple(c *class) bool {
	return c.staticReason == "" && len(c.rules) == 0 && len(c.hostPorts) == 0 && len(c.blocked) == 0 && len(c.watched) == 0 && c.active == 0
}

// pack places a bundle of simple classes that share node requirements. Free capacity is filled first, then
// new nodes are opened, each of the type whose shape best matches what is left to place, and every node is
// filled by the dot-product rule: the next pods are those whose requests point most the way the node's free
// capacity does, so cpu-heavy and memory-heavy pods end up sharing nodes instead of each stranding the other
// resource.
func (s *solver) pack(bundle []*class) {
	for _, n := range s.nodes {
		s.fill(n, bundle)
	}
	for {
		left := make(vector, len(s.res.names))
		var any *class
		for _, c := range bundle {
			if c.remaining() > 0 && len(c.options) > 0 {
				left.add(c.req, c.remaining())
				if any == nil {
					any = c
				}
			}
		}
		if any == nil {
			break
		}
		n := s.openFor(any, left)
		if n == nil {
			break
		}
		if s.fill(n, bundle) == 0 {
			s.close(n)
			break
		}
	}
	// Whatever is left (limits, zones) gets the per-class treatment and its reasons.
	for _, c := range bundle {
		if c.remaining() > 0 {
			s.place(c)
		}
	}
}

// fill places pods of the bundle on the node until none fits, choosing by the dot-product rule in chunks
// of a quarter of what fits. It returns how many pods it placed.
func (s *solver) fill(n *node, bundle []*class) int {
	total := 0
	scale := n.free.clone()
	if n.pt != nil {
		scale = n.pt.avail
	}
	for {
		var best *class
		bestScore, bestFit := -1.0, 0
		for _, c := range bundle {
			if c.remaining() == 0 || !s.admits(c, n) {
				continue
			}
			if n.isNew && n.pt.pool.minValues && n.counts[c] == 0 && !s.minValuesOK(append(slices.Clone(n.classes), c), n.pt, n.offering) {
				continue
			}
			fit := n.free.count(c.req, c.remaining())
			if fit == 0 {
				continue
			}
			score := 0.0
			for i, r := range c.req {
				if r > 0 && scale[i] > 0 {
					score += float64(r) / float64(scale[i]) * float64(n.free[i]) / float64(scale[i])
				}
			}
			if score > bestScore {
				best, bestScore, bestFit = c, score, fit
			}
		}
		if best == nil {
			return total
		}
		k := max(1, bestFit/4)
		s.record(best, n, k)
		total += k
	}
}

// openFor opens a new node for the bundle: in the heaviest pool with room, the type and offering that would
// place what is left most cheaply if it were bought in that type alone (price x the most-needed resource's
// share), preferring larger types on ties.
func (s *solver) openFor(c *class, left vector) *node {
	var best *option
	var bestOffering = -1
	bestScore := 0.0
	for _, o := range c.options {
		if best != nil && o.pt.pool != best.pt.pool {
			break
		}
		if !o.pt.pool.allows(o.pt.capacity) {
			continue
		}
		nodes := 0.0
		for i, d := range left {
			if d > 0 && o.pt.avail[i] > 0 {
				nodes = max(nodes, float64(d)/float64(o.pt.avail[i]))
			}
		}
		// Buying less than one node of a type costs the whole node, and the first class alone needs whole
		// nodes of as many pods as fit: memory left over beside a pod that does not fit twice is not room.
		nodes = max(nodes, 1, math.Ceil(float64(c.remaining())/float64(o.fit)))
		for i, off := range o.offerings {
			if o.pt.pool.minValues && !s.minValuesOK([]*class{c}, o.pt, off) {
				continue
			}
			score := off.Price * nodes
			if best == nil || score < bestScore*(1-1e-9) || (score <= bestScore*(1+1e-9) && o.fit > best.fit) {
				best, bestOffering, bestScore = o, i, score
			}
			break // offerings are cheapest first
		}
	}
	if best == nil {
		c.lastBlock = s.limitReason(c)
		return nil
	}
	return s.openNode(c, best, best.offerings[bestOffering])
}
