package aws_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestInstanceTypesFollowThePoolAndItsDaemonSets(t *testing.T) {
	f := setup(t)
	pool := f.nodePool(t, test.WithRequirements(
		test.Requirement(awsv1.LabelInstanceFamily, corev1.NodeSelectorOpIn, "m5", "c5"),
		test.Requirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
	))
	before := f.instanceTypes(t, pool)
	for _, it := range before {
		if family := it.Requirements.Labels()[awsv1.LabelInstanceFamily]; family != "m5" && family != "c5" {
			t.Errorf("%s (family %s) is outside the pool's families", it.Name, family)
		}
	}
	if _, ok := before["m5.large"]; !ok {
		t.Fatalf("m5.large is missing from %d types", len(before))
	}

	runs := test.DaemonSet(test.WithRequests("500m", "256Mi"))
	skips := test.DaemonSet(test.WithRequests("2", "1Gi"), test.WithNodeSelector(corev1.LabelArchStable, "arm64"))
	for _, ds := range []*appsv1.DaemonSet{runs, skips} {
		test.ExpectApplied(f.ctx, t, env.Client, ds)
		cleanup(t, ds)
	}
	after := f.instanceTypes(t, pool)
	if len(after) != len(before) {
		t.Errorf("DaemonSets changed the types offered from %d to %d", len(before), len(after))
	}
	want := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")}
	for name, it := range after {
		for r, q := range want {
			if got := it.Overhead.DaemonSets[r]; got.Cmp(q) != 0 {
				t.Errorf("%s: DaemonSet overhead %s = %s, want %s (only the amd64 DaemonSet runs there)", name, r, got.String(), q.String())
			}
			less := before[name].Available()[r]
			less.Sub(q)
			if got := it.Available()[r]; got.Cmp(less) != 0 {
				t.Errorf("%s: available %s = %s, want %s less than without DaemonSets", name, r, got.String(), q.String())
			}
		}
	}
}

// instanceTypes returns what the provider offers the pool, by name.
func (f *fixture) instanceTypes(t *testing.T, pool *v1.NodePool) map[string]*cloudprovider.InstanceType {
	t.Helper()
	types, err := f.cloud.InstanceTypes(f.ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*cloudprovider.InstanceType{}
	for _, it := range types {
		out[it.Name] = it
	}
	return out
}
