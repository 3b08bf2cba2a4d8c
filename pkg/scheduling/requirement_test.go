package scheduling

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const (
	in           = corev1.NodeSelectorOpIn
	notIn        = corev1.NodeSelectorOpNotIn
	exists       = corev1.NodeSelectorOpExists
	doesNotExist = corev1.NodeSelectorOpDoesNotExist
	gt           = corev1.NodeSelectorOpGt
	lt           = corev1.NodeSelectorOpLt
)

func TestRequirementHas(t *testing.T) {
	for _, tc := range []struct {
		name      string
		req       *Requirement
		has       []string
		hasNot    []string
		absent    bool
		operator  corev1.NodeSelectorOperator
		satisfied bool
	}{
		{name: "In", req: NewRequirement("k", in, "a", "b"), has: []string{"a", "b"}, hasNot: []string{"c"}, operator: in, satisfied: true},
		{name: "NotIn", req: NewRequirement("k", notIn, "a"), has: []string{"b"}, hasNot: []string{"a"}, absent: true, operator: notIn, satisfied: true},
		{name: "Exists", req: NewRequirement("k", exists), has: []string{"a", ""}, operator: exists, satisfied: true},
		{name: "DoesNotExist", req: NewRequirement("k", doesNotExist), hasNot: []string{"a"}, absent: true, operator: doesNotExist, satisfied: true},
		{name: "Gt", req: NewRequirement("k", gt, "4"), has: []string{"5", "100"}, hasNot: []string{"4", "3", "x"}, operator: gt, satisfied: true},
		{name: "Lt", req: NewRequirement("k", lt, "4"), has: []string{"3", "0"}, hasNot: []string{"4", "x"}, operator: lt, satisfied: true},
		{name: "Gt without an integer matches nothing", req: NewRequirement("k", gt, "x"), hasNot: []string{"1", "x"}, operator: in},
		{name: "unknown operator matches nothing", req: NewRequirement("k", "Near", "a"), hasNot: []string{"a"}, operator: in},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range tc.has {
				if !tc.req.Has(v) {
					t.Errorf("%s does not allow %q", tc.req, v)
				}
			}
			for _, v := range tc.hasNot {
				if tc.req.Has(v) {
					t.Errorf("%s allows %q", tc.req, v)
				}
			}
			if tc.req.AllowsAbsent() != tc.absent {
				t.Errorf("%s AllowsAbsent = %t, want %t", tc.req, !tc.absent, tc.absent)
			}
			if got := tc.req.Operator(); got != tc.operator {
				t.Errorf("Operator() = %s, want %s", got, tc.operator)
			}
			if tc.req.Satisfiable() != tc.satisfied {
				t.Errorf("Satisfiable() = %t, want %t", !tc.satisfied, tc.satisfied)
			}
		})
	}
}

func TestRequirementIntersection(t *testing.T) {
	for _, tc := range []struct {
		name       string
		a, b       *Requirement
		intersects bool
		want       string
	}{
		{name: "In and In overlap", a: NewRequirement("k", in, "a", "b"), b: NewRequirement("k", in, "b", "c"), intersects: true, want: "k In [b]"},
		{name: "In and In disjoint", a: NewRequirement("k", in, "a"), b: NewRequirement("k", in, "b"), want: "k In"},
		{name: "In and NotIn", a: NewRequirement("k", in, "a", "b"), b: NewRequirement("k", notIn, "a"), intersects: true, want: "k In [b]"},
		{name: "NotIn and NotIn", a: NewRequirement("k", notIn, "a"), b: NewRequirement("k", notIn, "b"), intersects: true, want: "k NotIn [a b]"},
		{name: "Exists and NotIn", a: NewRequirement("k", exists), b: NewRequirement("k", notIn, "a"), intersects: true, want: "k NotIn [a]"},
		{name: "Exists and DoesNotExist", a: NewRequirement("k", exists), b: NewRequirement("k", doesNotExist), want: "k In"},
		{name: "NotIn and DoesNotExist meet on absence", a: NewRequirement("k", notIn, "a"), b: NewRequirement("k", doesNotExist), intersects: true, want: "k DoesNotExist"},
		{name: "In and DoesNotExist", a: NewRequirement("k", in, "a"), b: NewRequirement("k", doesNotExist), want: "k In"},
		{name: "Gt and In", a: NewRequirement("k", gt, "4"), b: NewRequirement("k", in, "2", "8", "x"), intersects: true, want: "k In [8]"},
		{name: "Gt and Lt overlap", a: NewRequirement("k", gt, "4"), b: NewRequirement("k", lt, "6"), intersects: true, want: "k Exists >4 <6"},
		{name: "Gt and Lt disjoint", a: NewRequirement("k", gt, "4"), b: NewRequirement("k", lt, "5"), want: "k Exists >4 <5"},
		{name: "bounded range fully excluded", a: NewRequirement("k", gt, "4"), b: NewRequirement("k", lt, "7").Intersection(NewRequirement("k", notIn, "5", "6")), want: "k NotIn [5 6] >4 <7"},
		{name: "Gt and DoesNotExist", a: NewRequirement("k", gt, "0"), b: NewRequirement("k", doesNotExist), want: "k In"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Intersects(tc.b); got != tc.intersects {
				t.Errorf("%s Intersects %s = %t, want %t", tc.a, tc.b, got, tc.intersects)
			}
			if got := tc.b.Intersects(tc.a); got != tc.intersects {
				t.Errorf("Intersects is not symmetric for %s and %s", tc.a, tc.b)
			}
			if got := tc.a.Intersection(tc.b).String(); got != tc.want {
				t.Errorf("%s ∩ %s = %q, want %q", tc.a, tc.b, got, tc.want)
			}
			if got := tc.a.Intersection(tc.b).Satisfiable(); got != tc.intersects {
				t.Errorf("intersection satisfiable = %t, want %t", got, tc.intersects)
			}
		})
	}
}

func TestRequirementMinValues(t *testing.T) {
	a := NewRequirement("k", in, "a", "b", "c")
	two, three := 2, 3
	a.MinValues = &two
	b := NewRequirement("k", exists)
	b.MinValues = &three
	if got := a.Intersection(b).MinValues; got == nil || *got != 3 {
		t.Errorf("intersection minValues = %v, want the larger, 3", got)
	}
}
