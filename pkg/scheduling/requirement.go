package scheduling

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Requirement is the set of values one label key may take on a node.
type Requirement struct {
	// Key is the label key.
	Key string
	// complement: values lists excluded values (NotIn, Exists, Gt, Lt); otherwise values lists the allowed
	// values (In, DoesNotExist as the empty set).
	complement bool
	values     sets.Set[string]
	// greaterThan and lessThan bound integer values (exclusive); nil means unbounded.
	greaterThan, lessThan *int64
	// allowAbsent means a node without the key satisfies the requirement.
	allowAbsent bool
	// MinValues is how many distinct values must remain possible (minValues in a NodePool), or nil.
	MinValues *int
}

// NewRequirement builds a requirement from a node-selector operator and its values. Unknown operators
// produce a requirement nothing satisfies. Gt and Lt values that are not integers likewise match nothing.
func NewRequirement(key string, op corev1.NodeSelectorOperator, values ...string) *Requirement {
	r := &Requirement{Key: key, values: sets.New[string]()}
	switch op {
	case corev1.NodeSelectorOpIn:
		r.values.Insert(values...)
	case corev1.NodeSelectorOpNotIn:
		r.complement, r.allowAbsent = true, true
		r.values.Insert(values...)
	case corev1.NodeSelectorOpExists:
		r.complement = true
	case corev1.NodeSelectorOpDoesNotExist:
		r.allowAbsent = true
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if len(values) != 1 {
			return r
		}
		n, err := strconv.ParseInt(values[0], 10, 64)
		if err != nil {
			return r
		}
		r.complement = true
		if op == corev1.NodeSelectorOpGt {
			r.greaterThan = &n
		} else {
			r.lessThan = &n
		}
	}
	return r
}

// Operator returns the node-selector operator that best describes the requirement: In (finite set),
// DoesNotExist (the key must be absent), NotIn, Exists, or Gt/Lt when bounded.
func (r *Requirement) Operator() corev1.NodeSelectorOperator {
	switch {
	case !r.complement && r.values.Len() == 0 && r.allowAbsent:
		return corev1.NodeSelectorOpDoesNotExist
	case !r.complement:
		return corev1.NodeSelectorOpIn
	case r.greaterThan != nil && r.lessThan == nil && r.values.Len() == 0:
		return corev1.NodeSelectorOpGt
	case r.lessThan != nil && r.greaterThan == nil && r.values.Len() == 0:
		return corev1.NodeSelectorOpLt
	case r.values.Len() > 0 || r.allowAbsent:
		return corev1.NodeSelectorOpNotIn
	default:
		return corev1.NodeSelectorOpExists
	}
}

// Has reports whether a node labelled key=value satisfies the requirement.
func (r *Requirement) Has(value string) bool {
	if r.complement {
		return !r.values.Has(value) && r.inBounds(value)
	}
	return r.values.Has(value)
}

// AllowsAbsent reports whether a node without the key satisfies the requirement.
func (r *Requirement) AllowsAbsent() bool { return r.allowAbsent }

// IsEmpty reports whether no present value satisfies the requirement (the key must be absent, or nothing
// satisfies it at all).
func (r *Requirement) IsEmpty() bool {
	if !r.complement {
		return r.values.Len() == 0
	}
	if r.greaterThan == nil || r.lessThan == nil {
		return false
	}
	// Bounded on both sides: empty when every integer in the range is excluded.
	open := *r.lessThan - *r.greaterThan - 1
	if open <= 0 {
		return true
	}
	if open > int64(r.values.Len()) {
		return false
	}
	for n := *r.greaterThan + 1; n < *r.lessThan; n++ {
		if !r.values.Has(strconv.FormatInt(n, 10)) {
			return false
		}
	}
	return true
}

// Satisfiable reports whether some node, labelled or not, satisfies the requirement.
func (r *Requirement) Satisfiable() bool { return r.allowAbsent || !r.IsEmpty() }

// Len is the number of values the requirement allows, math.MaxInt for open-ended sets.
func (r *Requirement) Len() int {
	if r.complement {
		return math.MaxInt
	}
	return r.values.Len()
}

// Values returns the allowed values in order for finite requirements, and the excluded values for
// complements.
func (r *Requirement) Values() []string { return sets.List(r.values) }

// Any returns an allowed value, preferring the smallest, and false when the set is open-ended or empty.
func (r *Requirement) Any() (string, bool) {
	if r.complement || r.values.Len() == 0 {
		return "", false
	}
	return slices.Min(r.values.UnsortedList()), true
}

// Intersection returns the values both requirements allow. Keys are assumed equal.
func (r *Requirement) Intersection(o *Requirement) *Requirement {
	out := &Requirement{
		Key:         r.Key,
		greaterThan: maxPtr(r.greaterThan, o.greaterThan),
		lessThan:    minPtr(r.lessThan, o.lessThan),
		allowAbsent: r.allowAbsent && o.allowAbsent,
		MinValues:   maxPtr(r.MinValues, o.MinValues),
	}
	switch {
	case r.complement && o.complement:
		out.complement = true
		out.values = r.values.Union(o.values)
	case r.complement:
		out.values = o.values.Clone()
		for v := range out.values {
			if !r.Has(v) {
				out.values.Delete(v)
			}
		}
	case o.complement:
		out.values = r.values.Clone()
		for v := range out.values {
			if !o.Has(v) {
				out.values.Delete(v)
			}
		}
	default:
		out.values = r.values.Intersection(o.values)
	}
	if !out.complement {
		// Bounds are already applied to finite sets; keep them only on open-ended ones.
		out.greaterThan, out.lessThan = nil, nil
	}
	return out
}

// Intersects reports whether some node can satisfy both requirements: they share a present value, or both
// allow the key to be absent.
func (r *Requirement) Intersects(o *Requirement) bool {
	if r.allowAbsent && o.allowAbsent {
		return true
	}
	switch {
	case r.complement && o.complement:
		return !r.Intersection(o).IsEmpty()
	case r.complement:
		return anyOf(o.values, r.Has)
	case o.complement:
		return anyOf(r.values, o.Has)
	default:
		return anyOf(r.values, o.values.Has)
	}
}

// Copy returns an independent copy.
func (r *Requirement) Copy() *Requirement {
	c := *r
	c.values = r.values.Clone()
	return &c
}

// NodeSelectorRequirement renders the requirement back into the core API type. Bounded open-ended sets
// render as Gt or Lt; a requirement with both bounds renders its lower bound.
func (r *Requirement) NodeSelectorRequirement() corev1.NodeSelectorRequirement {
	op := r.Operator()
	req := corev1.NodeSelectorRequirement{Key: r.Key, Operator: op}
	switch op {
	case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
		req.Values = r.Values()
	case corev1.NodeSelectorOpGt:
		req.Values = []string{strconv.FormatInt(*r.greaterThan, 10)}
	case corev1.NodeSelectorOpLt:
		req.Values = []string{strconv.FormatInt(*r.lessThan, 10)}
	}
	return req
}

// String describes the requirement for people, such as "zone In [us-west-2a us-west-2b]".
func (r *Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Key)
	b.WriteByte(' ')
	b.WriteString(string(r.Operator()))
	if vs := r.Values(); len(vs) > 0 {
		if len(vs) > 5 {
			vs = append(vs[:5:5], fmt.Sprintf("and %d others", r.values.Len()-5))
		}
		fmt.Fprintf(&b, " %v", vs)
	}
	if r.greaterThan != nil {
		fmt.Fprintf(&b, " >%d", *r.greaterThan)
	}
	if r.lessThan != nil {
		fmt.Fprintf(&b, " <%d", *r.lessThan)
	}
	if r.MinValues != nil {
		fmt.Fprintf(&b, " minValues %d", *r.MinValues)
	}
	return b.String()
}

func (r *Requirement) inBounds(value string) bool {
	if r.greaterThan == nil && r.lessThan == nil {
		return true
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return false
	}
	return (r.greaterThan == nil || n > *r.greaterThan) && (r.lessThan == nil || n < *r.lessThan)
}

func anyOf(s sets.Set[string], pred func(string) bool) bool {
	for v := range s {
		if pred(v) {
			return true
		}
	}
	return false
}

// maxPtr is the larger of two optional bounds (nil is no bound); minPtr the smaller.
func maxPtr[T cmp.Ordered](a, b *T) *T {
	switch {
	case a == nil:
		return b
	case b == nil || *a >= *b:
		return a
	default:
		return b
	}
}

func minPtr[T cmp.Ordered](a, b *T) *T {
	switch {
	case a == nil:
		return b
	case b == nil || *a <= *b:
		return a
	default:
		return b
	}
}
