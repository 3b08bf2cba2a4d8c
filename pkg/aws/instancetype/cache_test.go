package instancetype_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/ice"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// versionedFacts serves the catalog under a version the test sets, counting the reads (builds).
type versionedFacts struct {
	version atomic.Uint64
	reads   atomic.Int32
}

func (v *versionedFacts) InstanceTypes(ctx context.Context) ([]instancetype.Facts, error) {
	v.reads.Add(1)
	return catalog.FactsSource().InstanceTypes(ctx)
}

func (v *versionedFacts) Version() uint64 { return v.version.Load() }

// versionedPrices is the catalog's prices under a fixed version.
type versionedPrices struct{ *pricing.Static }

func (versionedPrices) Version() uint64 { return 0 }

func daemonPod(cpu string) *corev1.Pod {
	return &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "agent",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}}}}
}

func offering(t *testing.T, types []*cloudprovider.InstanceType, name, zone string) cloudprovider.Offering {
	t.Helper()
	for _, o := range byName(types)[name].Offerings {
		if o.Zone == zone && o.CapacityType == v1.CapacityTypeOnDemand {
			return o
		}
	}
	t.Fatalf("%s has no on-demand offering in %s", name, zone)
	return cloudprovider.Offering{}
}

func TestInstanceTypesCachedUntilAnInputChanges(t *testing.T) {
	facts := &versionedFacts{}
	marks := ice.New(clocktesting.NewFakeClock(time.Now()), time.Minute)
	p := instancetype.NewProvider(facts, versionedPrices{pricing.NewStatic("us-east-1", nil, logr.Discard())}, instancetype.Options{
		Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent, Unavailable: marks,
	})
	nc := nodeClass(awsv1.CNIModeSecondaryIP)
	nc.UID, nc.Generation = "nc-1", 1
	nc.Status.Subnets = []awsv1.Subnet{{ID: "subnet-a", Zone: "us-east-1a"}, {ID: "subnet-b", Zone: "us-east-1b"}}
	np := pool(func(*v1.NodePoolSpec) {})
	np.UID, np.Generation = "np-1", 1
	req := instancetype.Request{NodeClass: nc, NodePool: np, DaemonSetPods: []*corev1.Pod{daemonPod("100m")}}
	call := func(wantBuilds int32) []*cloudprovider.InstanceType {
		t.Helper()
		types, err := p.InstanceTypes(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := facts.reads.Load(); got != wantBuilds {
			t.Fatalf("%d builds, want %d", got, wantBuilds)
		}
		return types
	}

	first := call(1)
	call(1)
	facts.version.Add(1) // a refresh changed the facts
	call(2)
	nc.Generation = 2
	call(3)
	nc.Status.Subnets = nc.Status.Subnets[:1]
	if types := call(4); len(byName(types)["m5.large"].Offerings) != 1 {
		t.Errorf("after the node class lost a zone: %v, want us-east-1a only", byName(types)["m5.large"].Offerings)
	}
	np.Generation = 2
	call(5)
	before := call(5)
	req.DaemonSetPods = []*corev1.Pod{daemonPod("200m")}
	after := call(6)
	if b, a := byName(before)["m5.large"].Overhead.DaemonSets.Cpu(), byName(after)["m5.large"].Overhead.DaemonSets.Cpu(); b.Cmp(*a) >= 0 {
		t.Errorf("DaemonSet overhead %v after the DaemonSet grew, %v before", a, b)
	}

	// Capacity marks need no rebuild, and do not reach results already handed out.
	marks.MarkUnavailable(v1.CapacityTypeOnDemand, "m5.large", "us-east-1a")
	if o := offering(t, call(6), "m5.large", "us-east-1a"); o.Available {
		t.Error("a cached result ignores a capacity mark")
	}
	if o := offering(t, after, "m5.large", "us-east-1a"); !o.Available {
		t.Error("a capacity mark changed a result handed out earlier")
	}
	if o := offering(t, first, "m5.large", "us-east-1a"); !o.Available {
		t.Error("a capacity mark changed the first result")
	}

	// Objects that are not stored (offline use) have no identity to cache by.
	nc.UID = ""
	call(7)
	call(8)
}

func BenchmarkInstanceTypesCached(b *testing.B) {
	daemons := make([]*corev1.Pod, 20)
	for i := range daemons {
		daemons[i] = daemonPod("50m")
		daemons[i].Spec.NodeSelector = map[string]string{corev1.LabelArchStable: []string{"amd64", "arm64"}[i%2]}
	}
	marks := ice.New(clocktesting.NewFakeClock(time.Now()), time.Minute)
	marks.MarkUnavailable(v1.CapacityTypeOnDemand, "m5.large", "us-east-1a")
	p := instancetype.NewProvider(&versionedFacts{}, versionedPrices{pricing.NewStatic("us-east-1", flatSpot(usEast1Prices()), logr.Discard())},
		instancetype.Options{Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent, Unavailable: marks})
	nc := nodeClass(awsv1.CNIModeSecondaryIP)
	nc.UID = "nc-1"
	np := pool(func(*v1.NodePoolSpec) {})
	np.UID = "np-1"
	req := instancetype.Request{NodeClass: nc, NodePool: np, Zones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}, DaemonSetPods: daemons}
	for b.Loop() {
		types, err := p.InstanceTypes(b.Context(), req)
		if err != nil || len(types) < 1300 {
			b.Fatalf("%d types, %v", len(types), err)
		}
	}
}
