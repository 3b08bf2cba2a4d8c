package instancetype_test

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

func nodeClass(mode awsv1.CNIMode, edit ...func(*awsv1.EC2NodeClassSpec)) *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{
		AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}},
		CNIMode:          mode,
	}}
	for _, e := range edit {
		e(&nc.Spec)
	}
	return nc
}

func facts(t testing.TB, name string) instancetype.Facts {
	t.Helper()
	f, ok := catalog.Lookup(name)
	if !ok {
		t.Fatalf("%s is not in the catalog", name)
	}
	return f
}

// build computes an instance type the way the provider does, without DaemonSets.
func build(t testing.TB, name string, nc *awsv1.EC2NodeClass) *cloudprovider.InstanceType {
	t.Helper()
	f := facts(t, name)
	capacity := instancetype.Capacity(f, nc, instancetype.DefaultVMMemoryOverheadPercent)
	pods := capacity[corev1.ResourcePods]
	return &cloudprovider.InstanceType{
		Name:     name,
		Capacity: capacity,
		Overhead: cloudprovider.Overhead{
			KubeReserved:      instancetype.KubeReserved(f.VCPU, pods.Value(), nc),
			SystemReserved:    instancetype.SystemReserved(nc),
			EvictionThreshold: instancetype.EvictionThreshold(capacity, nc),
		},
	}
}

func TestAllocatableOfHandCheckedTypes(t *testing.T) {
	const (
		secondary = awsv1.CNIModeSecondaryIP
		prefix    = awsv1.CNIModePrefixDelegation
		custom    = awsv1.CNIModeCustomNetworking
	)
	for _, tc := range []struct {
		name    string
		mode    awsv1.CNIMode
		pods    int64
		cpu     string // allocatable
		memory  string // allocatable
		extra   corev1.ResourceList
		because string
	}{
		{name: "m5.large", mode: secondary, pods: 29, cpu: "1930m", memory: "6903Mi", because: "3x(10-1)+2 pods; 7577Mi capacity - (11x29+255)Mi - 100Mi"},
		{name: "m5.large", mode: prefix, pods: 110, cpu: "1930m", memory: "6012Mi", because: "3x9x16+2=434 capped at 110 under 30 vCPU"},
		{name: "m5.large", mode: custom, pods: 20, cpu: "1930m", memory: "7002Mi", because: "one ENI fewer: 2x9+2"},
		{name: "t3.micro", mode: secondary, pods: 4, cpu: "1930m", memory: "548Mi", because: "2x(2-1)+2; 947Mi capacity - 299Mi - 100Mi"},
		{name: "t3.micro", mode: prefix, pods: 34, cpu: "1930m", memory: "218Mi", because: "2x1x16+2"},
		{name: "t3.micro", mode: custom, pods: 3, cpu: "1930m", memory: "559Mi", because: "1x1+2"},
		{name: "c6g.large", mode: secondary, pods: 29, cpu: "1930m", memory: "3055Mi", because: "4096-64 Graviton CMA, -303 VM overhead, -574 kube-reserved, -100 eviction"},
		{name: "p4d.24xlarge", mode: secondary, pods: 737, cpu: "95690m", memory: "1082712Mi", because: "15 ENIs on card 0 x 49 + 2; 310m kube-reserved cpu at 96 cores",
			extra: corev1.ResourceList{instancetype.ResourceNVIDIAGPU: resource.MustParse("8"), instancetype.ResourceEFA: resource.MustParse("4")}},
		{name: "p4d.24xlarge", mode: prefix, pods: 250, cpu: "95690m", memory: "1088069Mi", because: "capped at 250 at 30 vCPU or more; 11x250+255 kube-reserved"},
		{name: "m5.metal", mode: prefix, pods: 250, cpu: "95690m", memory: "360619Mi", because: "bare metal runs on Nitro, so prefixes work"},
		{name: "m4.large", mode: prefix, pods: 20, cpu: "1930m", memory: "7002Mi", because: "Xen: no prefix delegation, secondary-IP applies"},
		{name: "g5.xlarge", mode: secondary, pods: 58, cpu: "3920m", memory: "14162Mi", because: "4 vCPU: 60+10+5+5 = 80m kube-reserved cpu",
			extra: corev1.ResourceList{instancetype.ResourceNVIDIAGPU: resource.MustParse("1")}},
		{name: "inf2.xlarge", mode: secondary, pods: 58, cpu: "3920m", memory: "14162Mi", because: "Inferentia is advertised as aws.amazon.com/neuron",
			extra: corev1.ResourceList{instancetype.ResourceAWSNeuron: resource.MustParse("1")}},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.name, tc.mode), func(t *testing.T) {
			it := build(t, tc.name, nodeClass(tc.mode))
			alloc := it.Allocatable()
			pods := alloc[corev1.ResourcePods]
			cpu := alloc[corev1.ResourceCPU]
			mem := alloc[corev1.ResourceMemory]
			if pods.Value() != tc.pods {
				t.Errorf("pods = %d, want %d (%s)", pods.Value(), tc.pods, tc.because)
			}
			if cpu.Cmp(resource.MustParse(tc.cpu)) != 0 {
				t.Errorf("allocatable cpu = %s, want %s (%s)", cpu.String(), tc.cpu, tc.because)
			}
			if mem.Cmp(resource.MustParse(tc.memory)) != 0 {
				t.Errorf("allocatable memory = %dMi, want %s (%s)", mem.Value()>>20, tc.memory, tc.because)
			}
			for name, want := range tc.extra {
				if got := it.Capacity[name]; got.Cmp(want) != 0 {
					t.Errorf("%s = %s, want %s", name, got.String(), want.String())
				}
			}
		})
	}
}

func TestKubeletOverrides(t *testing.T) {
	int32p := func(v int32) *int32 { return &v }
	for _, tc := range []struct {
		name   string
		edit   func(*awsv1.EC2NodeClassSpec)
		pods   int64
		memory string
		eph    string
	}{
		{name: "maxPods", edit: func(s *awsv1.EC2NodeClassSpec) { s.Kubelet = &awsv1.KubeletConfiguration{MaxPods: int32p(50)} },
			pods: 50, memory: "6672Mi", eph: "17Gi"},
		{name: "podsPerCore caps", edit: func(s *awsv1.EC2NodeClassSpec) { s.Kubelet = &awsv1.KubeletConfiguration{PodsPerCore: int32p(5)} },
			pods: 10, memory: "7112Mi", eph: "17Gi"},
		{name: "reserved ENIs", edit: func(s *awsv1.EC2NodeClassSpec) { s.ReservedENIs = 1 },
			pods: 20, memory: "7002Mi", eph: "17Gi"},
		{name: "kube and system reserved, eviction and root volume", edit: func(s *awsv1.EC2NodeClassSpec) {
			size := resource.MustParse("100Gi")
			s.BlockDeviceMappings = []awsv1.BlockDeviceMapping{{DeviceName: "/dev/xvda", RootVolume: true, EBS: &awsv1.BlockDevice{VolumeSize: &size}}}
			s.Kubelet = &awsv1.KubeletConfiguration{
				KubeReserved:   map[string]awsv1.ReservedQuantity{"memory": "1Gi"},
				SystemReserved: map[string]awsv1.ReservedQuantity{"memory": "100Mi"},
				EvictionHard:   map[string]awsv1.EvictionThreshold{"memory.available": "5%", "nodefs.available": "15%"},
				EvictionSoft:   map[string]awsv1.EvictionThreshold{"memory.available": "500Mi"},
			}
		}, pods: 29, memory: "5953Mi", eph: "84Gi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := build(t, "m5.large", nodeClass(awsv1.CNIModeSecondaryIP, tc.edit))
			alloc := it.Allocatable()
			pods := alloc[corev1.ResourcePods]
			mem := alloc[corev1.ResourceMemory]
			eph := alloc[corev1.ResourceEphemeralStorage]
			if pods.Value() != tc.pods {
				t.Errorf("pods = %d, want %d", pods.Value(), tc.pods)
			}
			if mem.Cmp(resource.MustParse(tc.memory)) != 0 {
				t.Errorf("memory = %dMi, want %s", mem.Value()>>20, tc.memory)
			}
			if eph.Cmp(resource.MustParse(tc.eph)) != 0 {
				t.Errorf("ephemeral-storage = %s, want %s", eph.String(), tc.eph)
			}
		})
	}
}

// TestEveryCatalogTypeIsLaunchable checks the whole catalog: positive allocatable, and in secondary-IP mode the
// max pods EKS publishes.
func TestEveryCatalogTypeIsLaunchable(t *testing.T) {
	nc := nodeClass(awsv1.CNIModeSecondaryIP)
	types := catalog.InstanceTypes()
	if len(types) < 1300 {
		t.Fatalf("catalog has %d types, want the full catalog", len(types))
	}
	for _, f := range types {
		it := build(t, f.Name, nc)
		alloc := it.Allocatable()
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods, corev1.ResourceEphemeralStorage} {
			if q := alloc[r]; q.Sign() <= 0 {
				t.Errorf("%s: allocatable %s = %s", f.Name, r, q.String())
			}
		}
		if pods := it.Capacity[corev1.ResourcePods]; pods.Value() != int64(f.ENIMaxPods) {
			t.Errorf("%s: max pods %d, EKS publishes %d", f.Name, pods.Value(), f.ENIMaxPods)
		}
	}
}
