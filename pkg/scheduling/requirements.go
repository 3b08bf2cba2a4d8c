package scheduling

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Requirements is a conjunction of requirements, at most one per label key. The zero value is ready to use
// and allows everything.
type Requirements map[string]*Requirement

// NewRequirements returns requirements holding each of reqs, intersecting those on the same key.
func NewRequirements(reqs ...*Requirement) Requirements {
	out := Requirements{}
	for _, r := range reqs {
		out.Add(r)
	}
	return out
}

// FromNodeSelectorRequirements converts core API requirements.
func FromNodeSelectorRequirements(reqs ...corev1.NodeSelectorRequirement) Requirements {
	out := Requirements{}
	for _, r := range reqs {
		out.Add(NewRequirement(r.Key, r.Operator, r.Values...))
	}
	return out
}

// FromNodePoolRequirements converts NodePool or NodeClaim requirements, keeping minValues.
func FromNodePoolRequirements(reqs ...v1.NodeSelectorRequirementWithMinValues) Requirements {
	out := Requirements{}
	for _, r := range reqs {
		req := NewRequirement(r.Key, r.Operator, r.Values...)
		req.MinValues = r.MinValues
		out.Add(req)
	}
	return out
}

// FromLabels returns a requirement of key In [value] for every label.
func FromLabels(labels map[string]string) Requirements {
	out := make(Requirements, len(labels))
	for k, v := range labels {
		out[k] = NewRequirement(k, corev1.NodeSelectorOpIn, v)
	}
	return out
}

// Add intersects r into the requirements.
func (rs Requirements) Add(r *Requirement) {
	if existing, ok := rs[r.Key]; ok {
		rs[r.Key] = existing.Intersection(r)
		return
	}
	rs[r.Key] = r.Copy()
}

// AddAll intersects every requirement of other into rs.
func (rs Requirements) AddAll(other Requirements) {
	for _, r := range other {
		rs.Add(r)
	}
}

// Get returns the requirement on key; a key without a requirement allows every value and absence.
func (rs Requirements) Get(key string) *Requirement {
	if r, ok := rs[key]; ok {
		return r
	}
	return &Requirement{Key: key, complement: true, allowAbsent: true, values: nil}
}

// Has reports whether there is a requirement on key.
func (rs Requirements) Has(key string) bool {
	_, ok := rs[key]
	return ok
}

// Keys returns the constrained keys in order.
func (rs Requirements) Keys() []string {
	keys := make([]string, 0, len(rs))
	for k := range rs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Copy returns an independent copy.
func (rs Requirements) Copy() Requirements {
	out := make(Requirements, len(rs))
	for k, r := range rs {
		out[k] = r.Copy()
	}
	return out
}

// Intersects returns nil when some node can satisfy both rs and other, and otherwise an error naming the
// first key (in order) on which they conflict.
func (rs Requirements) Intersects(other Requirements) error {
	small, large := rs, other
	if len(large) < len(small) {
		small, large = large, small
	}
	var conflicts []string
	for k, a := range small {
		if b, ok := large[k]; ok && !a.Intersects(b) {
			conflicts = append(conflicts, k)
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	sort.Strings(conflicts)
	k := conflicts[0]
	return fmt.Errorf("%s conflicts with %s", rs[k], other[k])
}

// Compatible returns nil when a node described by node (requirements that define the node's labels, such
// as an instance type's) can satisfy rs. Unlike Intersects, a key that rs requires to be present but node
// does not mention is a conflict unless the key is one a node may be given freely (allowUndefined), such as
// a custom label that the NodePool will set.
func (rs Requirements) Compatible(node Requirements, allowUndefined func(key string) bool) error {
	for _, k := range rs.Keys() {
		r := rs[k]
		n, ok := node[k]
		if !ok {
			if r.AllowsAbsent() || (allowUndefined != nil && allowUndefined(k)) {
				continue
			}
			return fmt.Errorf("%s: no node offers label %q", r, k)
		}
		if !r.Intersects(n) {
			return fmt.Errorf("%s does not match %s", r, n)
		}
	}
	return nil
}

// Labels returns the label each key must carry: keys with exactly one allowed value.
func (rs Requirements) Labels() map[string]string {
	out := map[string]string{}
	for k, r := range rs {
		if r.Len() == 1 {
			v, _ := r.Any()
			out[k] = v
		}
	}
	return out
}

// NodeSelectorRequirements renders the requirements in key order.
func (rs Requirements) NodeSelectorRequirements() []corev1.NodeSelectorRequirement {
	out := make([]corev1.NodeSelectorRequirement, 0, len(rs))
	for _, k := range rs.Keys() {
		out = append(out, rs[k].NodeSelectorRequirement())
	}
	return out
}

// String lists the requirements in key order.
func (rs Requirements) String() string {
	parts := make([]string, 0, len(rs))
	for _, k := range rs.Keys() {
		parts = append(parts, rs[k].String())
	}
	return strings.Join(parts, ", ")
}
