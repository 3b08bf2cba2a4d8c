package scheduling

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

func TestRequirementsCompatible(t *testing.T) {
	instanceType := NewRequirements(
		NewRequirement(corev1.LabelInstanceTypeStable, in, "m5.large"),
		NewRequirement(corev1.LabelArchStable, in, "amd64"),
		NewRequirement(corev1.LabelTopologyZone, in, "us-west-2a", "us-west-2b"),
		NewRequirement("aws.stevedore.dev/instance-gpu-count", doesNotExist),
		NewRequirement("aws.stevedore.dev/instance-cpu", in, "2"),
	)
	custom := func(key string) bool {
		return !strings.Contains(key, "stevedore.dev") && !strings.Contains(key, "kubernetes.io")
	}
	for _, tc := range []struct {
		name    string
		pool    Requirements
		wantErr string
	}{
		{name: "no requirements"},
		{name: "zone subset", pool: NewRequirements(NewRequirement(corev1.LabelTopologyZone, in, "us-west-2b", "us-west-2c"))},
		{name: "wrong arch", pool: NewRequirements(NewRequirement(corev1.LabelArchStable, in, "arm64")), wantErr: "kubernetes.io/arch In [arm64] does not match kubernetes.io/arch In [amd64]"},
		{name: "gpu required", pool: NewRequirements(NewRequirement("aws.stevedore.dev/instance-gpu-count", gt, "0")), wantErr: "instance-gpu-count"},
		{name: "gpu excluded", pool: NewRequirements(NewRequirement("aws.stevedore.dev/instance-gpu-count", doesNotExist))},
		{name: "cpu bound", pool: NewRequirements(NewRequirement("aws.stevedore.dev/instance-cpu", lt, "4"))},
		{name: "cpu bound excludes", pool: NewRequirements(NewRequirement("aws.stevedore.dev/instance-cpu", gt, "2")), wantErr: "instance-cpu"},
		{name: "custom label the pool sets", pool: NewRequirements(NewRequirement("example.com/team", in, "web"))},
		{name: "well-known label no type offers", pool: NewRequirements(NewRequirement("aws.stevedore.dev/instance-local-nvme", exists)), wantErr: `no node offers label "aws.stevedore.dev/instance-local-nvme"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.pool.Compatible(instanceType, custom)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("want compatible, got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("want error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func TestRequirementsIntersects(t *testing.T) {
	a := NewRequirements(NewRequirement("zone", in, "a", "b"), NewRequirement("arch", in, "amd64"))
	if err := a.Intersects(NewRequirements(NewRequirement("zone", notIn, "a"))); err != nil {
		t.Errorf("zone b satisfies both, got %v", err)
	}
	if err := a.Intersects(NewRequirements(NewRequirement("arch", in, "arm64"), NewRequirement("zone", in, "c"))); err == nil || !strings.HasPrefix(err.Error(), "arch In [amd64] conflicts") {
		t.Errorf("want the first conflicting key (arch) named, got %v", err)
	}
}

func TestRequirementsAddIntersects(t *testing.T) {
	rs := NewRequirements(NewRequirement("zone", in, "a", "b", "c"))
	rs.Add(NewRequirement("zone", notIn, "b"))
	rs.AddAll(FromLabels(map[string]string{"team": "web"}))
	if got := rs.String(); got != "team In [web], zone In [a c]" {
		t.Errorf("got %q", got)
	}
	if got := rs.Labels(); !reflect.DeepEqual(got, map[string]string{"team": "web"}) {
		t.Errorf("Labels() = %v, want only single-valued keys", got)
	}
}

func TestRequirementsRoundTrip(t *testing.T) {
	two := 2
	rs := FromNodePoolRequirements(
		v1.NodeSelectorRequirementWithMinValues{Key: "family", Operator: in, Values: []string{"m5", "c5"}, MinValues: &two},
		v1.NodeSelectorRequirementWithMinValues{Key: "cpu", Operator: gt, Values: []string{"4"}},
		v1.NodeSelectorRequirementWithMinValues{Key: "gpu", Operator: doesNotExist},
	)
	if rs.Get("family").MinValues == nil || *rs.Get("family").MinValues != 2 {
		t.Error("minValues lost")
	}
	back := FromNodeSelectorRequirements(rs.NodeSelectorRequirements()...)
	// The core type has no minValues; everything else survives.
	if want := "cpu Gt >4, family In [c5 m5], gpu DoesNotExist"; back.String() != want {
		t.Errorf("round trip of %q gave %q, want %q", rs, back, want)
	}
	if !rs.Get("unconstrained").Has("anything") || !rs.Get("unconstrained").AllowsAbsent() {
		t.Error("a key without a requirement must allow everything")
	}
}
