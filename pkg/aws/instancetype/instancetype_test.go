package instancetype_test

import (
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

// flatSpot prices spot at 30% of on-demand in every zone but us-east-1c.
type flatSpot map[string]float64

func (f flatSpot) SpotPrice(name, zone string) (float64, bool) {
	if zone == "us-east-1c" {
		return 0, false
	}
	p, ok := f[name]
	return p * 0.3, ok
}

func provider() *instancetype.Provider {
	return instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic("us-east-1", flatSpot(usEast1Prices()), logr.Discard()),
		instancetype.Options{Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent})
}

func usEast1Prices() map[string]float64 {
	prices, _, _ := catalog.OnDemandPrices("us-east-1")
	return prices
}

func pool(edit func(*v1.NodePoolSpec)) *v1.NodePool {
	np := &v1.NodePool{}
	np.Name = "default"
	edit(&np.Spec)
	return np
}

func byName(types []*cloudprovider.InstanceType) map[string]*cloudprovider.InstanceType {
	out := map[string]*cloudprovider.InstanceType{}
	for _, it := range types {
		out[it.Name] = it
	}
	return out
}

func TestProviderFiltersByNodePoolRequirements(t *testing.T) {
	req := func(key string, op corev1.NodeSelectorOperator, values ...string) v1.NodeSelectorRequirementWithMinValues {
		return v1.NodeSelectorRequirementWithMinValues{Key: key, Operator: op, Values: values}
	}
	np := pool(func(s *v1.NodePoolSpec) {
		s.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{
			req(awsv1.LabelInstanceCategory, corev1.NodeSelectorOpIn, "c", "m"),
			req(awsv1.LabelInstanceGeneration, corev1.NodeSelectorOpGt, "5"),
			req(awsv1.LabelInstanceCPU, corev1.NodeSelectorOpLt, "9"),
			req(awsv1.LabelInstanceGPUCount, corev1.NodeSelectorOpDoesNotExist),
			req(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "arm64"),
			req("example.com/team", corev1.NodeSelectorOpIn, "web"),
		}
	})
	types, err := provider().InstanceTypes(t.Context(), instancetype.Request{
		NodeClass: nodeClass(awsv1.CNIModeSecondaryIP), NodePool: np, Zones: []string{"us-east-1a", "us-east-1b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := byName(types)
	for _, want := range []string{"c6g.large", "m7g.2xlarge", "c8g.xlarge"} {
		if got[want] == nil {
			t.Errorf("%s satisfies the pool but is missing", want)
		}
	}
	for _, notWant := range []string{"m5.large", "c6g.4xlarge", "c5.large", "g5g.xlarge", "r6g.large"} {
		if got[notWant] != nil {
			t.Errorf("%s violates the pool's requirements but was returned", notWant)
		}
	}
	if len(types) < 10 {
		t.Errorf("only %d types returned", len(types))
	}
}

func TestProviderOfferingsAndLabels(t *testing.T) {
	nc := nodeClass(awsv1.CNIModeSecondaryIP)
	nc.Status.Subnets = []awsv1.Subnet{{ID: "subnet-1", Zone: "us-east-1a"}, {ID: "subnet-2", Zone: "us-east-1c"}, {ID: "subnet-3", Zone: "us-east-1a"}}
	types, err := provider().InstanceTypes(t.Context(), instancetype.Request{NodeClass: nc, Zones: []string{"ignored-when-subnets-resolve"}})
	if err != nil {
		t.Fatal(err)
	}
	m5 := byName(types)["m5.large"]
	if m5 == nil {
		t.Fatal("m5.large missing")
	}
	// Subnets' zones, deduplicated; spot where the spot source prices it.
	want := cloudprovider.Offerings{
		{Zone: "us-east-1a", CapacityType: "on-demand", Price: 0.096, Available: true},
		{Zone: "us-east-1a", CapacityType: "spot", Price: 0.096 * 0.3, Available: true},
		{Zone: "us-east-1c", CapacityType: "on-demand", Price: 0.096, Available: true},
	}
	if len(m5.Offerings) != len(want) {
		t.Fatalf("offerings = %+v, want %+v", m5.Offerings, want)
	}
	for i := range want {
		if m5.Offerings[i] != want[i] {
			t.Errorf("offering %d = %+v, want %+v", i, m5.Offerings[i], want[i])
		}
	}
	labels := m5.Requirements.Labels()
	for k, v := range map[string]string{
		corev1.LabelInstanceTypeStable: "m5.large", corev1.LabelArchStable: "amd64", corev1.LabelOSStable: "linux",
		corev1.LabelTopologyRegion: "us-east-1", awsv1.LabelInstanceFamily: "m5", awsv1.LabelInstanceCategory: "m",
		awsv1.LabelInstanceGeneration: "5", awsv1.LabelInstanceSize: "large", awsv1.LabelInstanceCPU: "2",
		awsv1.LabelInstanceMemory: "8192", awsv1.LabelInstanceCPUManufacturer: "intel", awsv1.LabelInstanceHypervisor: "nitro",
		awsv1.LabelInstanceNetworkBW: "750", awsv1.LabelInstanceEBSBandwidth: "4750",
	} {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
	if zones := m5.Requirements.Get(corev1.LabelTopologyZone).Values(); len(zones) != 2 {
		t.Errorf("zone requirement %v, want the two subnet zones", zones)
	}
	for _, absent := range []string{awsv1.LabelInstanceGPUCount, awsv1.LabelInstanceLocalNVMe, awsv1.LabelInstanceAcceleratorName} {
		if r := m5.Requirements.Get(absent); r.Operator() != corev1.NodeSelectorOpDoesNotExist {
			t.Errorf("%s: %s, want DoesNotExist for a type without one", absent, r)
		}
	}
}

func TestProviderDaemonSetOverheadIsPerType(t *testing.T) {
	pod := func(name, cpu string, nodeSelector map[string]string, tolerations ...corev1.Toleration) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{
			NodeSelector: nodeSelector, Tolerations: tolerations,
			Containers: []corev1.Container{{Name: name, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}},
		}}
		p.Name = name
		return p
	}
	daemons := []*corev1.Pod{
		pod("everywhere", "100m", nil, corev1.Toleration{Operator: corev1.TolerationOpExists}),
		pod("gpu-only", "300m", map[string]string{awsv1.LabelInstanceGPUManufacturer: "nvidia"}, corev1.Toleration{Operator: corev1.TolerationOpExists}),
		pod("team-web", "200m", map[string]string{"team": "web"}),
		pod("arm-only", "50m", map[string]string{corev1.LabelArchStable: "arm64"}),
	}
	np := pool(func(s *v1.NodePoolSpec) {
		s.Template.ObjectMeta.Labels = map[string]v1.LabelValue{"team": "web"}
		s.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"m5.large", "g5.xlarge", "c6g.large"}}}
	})
	tainted := pool(func(s *v1.NodePoolSpec) {
		s.Template.Spec = np.Spec.Template.Spec
		s.Template.ObjectMeta = np.Spec.Template.ObjectMeta
		s.Template.Spec.Taints = []v1.Taint{{Key: "dedicated", Value: "ml", Effect: corev1.TaintEffectNoSchedule}}
	})
	for _, tc := range []struct {
		name string
		pool *v1.NodePool
		want map[string]string
	}{
		{name: "untainted pool", pool: np, want: map[string]string{"m5.large": "300m", "g5.xlarge": "600m", "c6g.large": "350m"}},
		{name: "tainted pool keeps only tolerating DaemonSets", pool: tainted, want: map[string]string{"m5.large": "100m", "g5.xlarge": "400m", "c6g.large": "100m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			types, err := provider().InstanceTypes(t.Context(), instancetype.Request{
				NodeClass: nodeClass(awsv1.CNIModeSecondaryIP), NodePool: tc.pool, Zones: []string{"us-east-1a"}, DaemonSetPods: daemons,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := byName(types)
			for name, cpu := range tc.want {
				it := got[name]
				if it == nil {
					t.Fatalf("%s missing", name)
				}
				if q := it.Overhead.DaemonSets[corev1.ResourceCPU]; q.Cmp(resource.MustParse(cpu)) != 0 {
					t.Errorf("%s DaemonSet cpu = %s, want %s", name, q.String(), cpu)
				}
				avail, alloc := it.Available()[corev1.ResourceCPU], it.Allocatable()[corev1.ResourceCPU]
				alloc.Sub(resource.MustParse(cpu))
				if avail.Cmp(alloc) != 0 {
					t.Errorf("%s available cpu = %s, want allocatable minus DaemonSets = %s", name, avail.String(), alloc.String())
				}
			}
		})
	}
}

// BenchmarkInstanceTypes measures building every catalogued type for a NodePool with DaemonSet overhead, which
// the provisioner does once per NodePool per batch.
func BenchmarkInstanceTypes(b *testing.B) {
	daemons := make([]*corev1.Pod, 20)
	for i := range daemons {
		daemons[i] = &corev1.Pod{Spec: corev1.PodSpec{
			NodeSelector: map[string]string{corev1.LabelArchStable: []string{"amd64", "arm64"}[i%2]},
			Containers:   []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}},
		}}
	}
	p := provider()
	req := instancetype.Request{NodeClass: nodeClass(awsv1.CNIModeSecondaryIP), NodePool: pool(func(*v1.NodePoolSpec) {}),
		Zones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}, DaemonSetPods: daemons}
	for b.Loop() {
		types, err := p.InstanceTypes(b.Context(), req)
		if err != nil || len(types) < 1300 {
			b.Fatalf("%d types, %v", len(types), err)
		}
	}
}

func TestUnavailableOfferings(t *testing.T) {
	marks := ice.New(clocktesting.NewFakeClock(time.Now()), time.Minute)
	marks.MarkUnavailable(v1.CapacityTypeOnDemand, "m5.large", "us-east-1b")
	p := instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic("us-east-1", nil, logr.Discard()), instancetype.Options{
		Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent, Unavailable: marks,
	})
	types, err := p.InstanceTypes(t.Context(), instancetype.Request{NodeClass: nodeClass(awsv1.CNIModeSecondaryIP), Zones: []string{"us-east-1a", "us-east-1b"}})
	if err != nil {
		t.Fatal(err)
	}
	m5 := byName(types)["m5.large"]
	got := map[string]bool{}
	for _, o := range m5.Offerings {
		got[o.Zone] = o.Available
	}
	if !got["us-east-1a"] || got["us-east-1b"] {
		t.Errorf("availability by zone %v, want us-east-1b marked unavailable and us-east-1a not", got)
	}
	if other := byName(types)["m5.xlarge"]; !other.Offerings[1].Available {
		t.Error("a mark on m5.large reached m5.xlarge")
	}
}
