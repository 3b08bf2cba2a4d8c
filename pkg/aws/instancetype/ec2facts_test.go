package instancetype

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestFactsFromEC2 covers what the simulator does not serve: accelerators, bandwidth, several network cards,
// HDD instance storage and the architectures Stevedore leaves out.
func TestFactsFromEC2(t *testing.T) {
	base := func(name string, edit func(*ec2types.InstanceTypeInfo)) *ec2types.InstanceTypeInfo {
		info := &ec2types.InstanceTypeInfo{
			InstanceType:  ec2types.InstanceType(name),
			VCpuInfo:      &ec2types.VCpuInfo{DefaultVCpus: aws.Int32(4)},
			MemoryInfo:    &ec2types.MemoryInfo{SizeInMiB: aws.Int64(8192)},
			ProcessorInfo: &ec2types.ProcessorInfo{SupportedArchitectures: []ec2types.ArchitectureType{"i386", "x86_64"}, Manufacturer: aws.String("Intel"), SustainedClockSpeedInGhz: aws.Float64(2.9)},
			Hypervisor:    ec2types.InstanceTypeHypervisorNitro,
			NetworkInfo: &ec2types.NetworkInfo{
				MaximumNetworkInterfaces: aws.Int32(4), MaximumNetworkCards: aws.Int32(1), Ipv4AddressesPerInterface: aws.Int32(15),
				NetworkCards: []ec2types.NetworkCardInfo{{NetworkCardIndex: aws.Int32(0), MaximumNetworkInterfaces: aws.Int32(4), BaselineBandwidthInGbps: aws.Float64(1.25)}},
			},
		}
		if edit != nil {
			edit(info)
		}
		return info
	}
	want := func(name string, edit func(*Facts)) Facts {
		f := Facts{Name: name, VCPU: 4, MemoryMiB: 8192, Architecture: "amd64", CPUManufacturer: "intel", CPUSustainedClockMHz: 2900,
			Hypervisor: "nitro", MaxENIs: 4, DefaultCardMaxENIs: 4, IPv4PerENI: 15, NetworkCards: 1, NetworkBandwidthMbps: 1250, ENIMaxPods: 58}
		f.Family, f.Size, _ = strings.Cut(name, ".")
		edit(&f)
		return f
	}
	tests := []struct {
		name string
		info *ec2types.InstanceTypeInfo
		want *Facts
	}{{
		name: "plain type; i386 listed beside x86_64",
		info: base("c9.xlarge", nil),
		want: ptr(want("c9.xlarge", func(f *Facts) { f.Category, f.Generation = "c", 9 })),
	}, {
		name: "Neuron devices, GPU-style names normalised",
		info: base("inf9.xlarge", func(i *ec2types.InstanceTypeInfo) {
			i.NeuronInfo = &ec2types.NeuronInfo{NeuronDevices: []ec2types.NeuronDeviceInfo{{Name: aws.String("Inferentia2"), Count: aws.Int32(2), MemoryInfo: &ec2types.NeuronDeviceMemoryInfo{SizeInMiB: aws.Int32(32768)}}}}
			i.InferenceAcceleratorInfo = &ec2types.InferenceAcceleratorInfo{Accelerators: []ec2types.InferenceDeviceInfo{{Name: aws.String("Inferentia"), Manufacturer: aws.String("AWS"), Count: aws.Int32(2)}}}
		}),
		want: ptr(want("inf9.xlarge", func(f *Facts) {
			f.Category, f.Generation = "inf", 9
			f.Accelerator = &Accelerator{Name: "inferentia2", Manufacturer: "aws", Count: 2, MemoryMiB: 32768}
		})),
	}, {
		name: "inference accelerator without Neuron",
		info: base("dl9q.xlarge", func(i *ec2types.InstanceTypeInfo) {
			i.InferenceAcceleratorInfo = &ec2types.InferenceAcceleratorInfo{Accelerators: []ec2types.InferenceDeviceInfo{{Name: aws.String("Qualcomm AI100"), Manufacturer: aws.String("Qualcomm"), Count: aws.Int32(8)}}}
		}),
		want: ptr(want("dl9q.xlarge", func(f *Facts) {
			f.Category, f.Generation = "dl", 9
			f.Accelerator = &Accelerator{Name: "qualcomm-ai100", Manufacturer: "qualcomm", Count: 8}
		})),
	}, {
		name: "GPU, several cards, EFA, EBS bandwidth, NVMe, arm64",
		info: base("g9gd.metal", func(i *ec2types.InstanceTypeInfo) {
			i.ProcessorInfo = &ec2types.ProcessorInfo{SupportedArchitectures: []ec2types.ArchitectureType{"arm64"}, Manufacturer: aws.String("AWS")}
			i.GpuInfo = &ec2types.GpuInfo{Gpus: []ec2types.GpuDeviceInfo{{Name: aws.String("Radeon Pro V520"), Manufacturer: aws.String("AMD"), Count: aws.Int32(4), MemoryInfo: &ec2types.GpuDeviceMemoryInfo{SizeInMiB: aws.Int32(8192)}}}}
			i.Hypervisor, i.BareMetal = "", aws.Bool(true)
			i.EbsInfo = &ec2types.EbsInfo{EbsOptimizedInfo: &ec2types.EbsOptimizedInfo{MaximumBandwidthInMbps: aws.Int32(19000)}}
			i.InstanceStorageInfo = &ec2types.InstanceStorageInfo{TotalSizeInGB: aws.Int64(3800), NvmeSupport: ec2types.EphemeralNvmeSupportRequired}
			i.NetworkInfo = &ec2types.NetworkInfo{
				MaximumNetworkInterfaces: aws.Int32(16), MaximumNetworkCards: aws.Int32(2), Ipv4AddressesPerInterface: aws.Int32(50),
				DefaultNetworkCardIndex: aws.Int32(1), EncryptionInTransitSupported: aws.Bool(true), EfaInfo: &ec2types.EfaInfo{MaximumEfaInterfaces: aws.Int32(2)},
				NetworkCards: []ec2types.NetworkCardInfo{
					{NetworkCardIndex: aws.Int32(0), MaximumNetworkInterfaces: aws.Int32(10), BaselineBandwidthInGbps: aws.Float64(100)},
					{NetworkCardIndex: aws.Int32(1), MaximumNetworkInterfaces: aws.Int32(6), BaselineBandwidthInGbps: aws.Float64(100)},
				},
			}
		}),
		want: ptr(Facts{Name: "g9gd.metal", Family: "g9gd", Category: "g", Generation: 9, Size: "metal", VCPU: 4, MemoryMiB: 8192,
			Architecture: "arm64", CPUManufacturer: "aws", GPU: &Accelerator{Name: "radeon-pro-v520", Manufacturer: "amd", Count: 4, MemoryMiB: 8192},
			MaxENIs: 16, DefaultCardMaxENIs: 6, IPv4PerENI: 50, NetworkCards: 2, BareMetal: true, NetworkBandwidthMbps: 200000,
			EBSBandwidthMbps: 19000, LocalNVMeGB: 3800, EncryptionInTransit: true, EFAInterfaces: 2, ENIMaxPods: 6*49 + 2}),
	}, {
		name: "a share of one GPU",
		info: base("g9f.large", func(i *ec2types.InstanceTypeInfo) {
			i.GpuInfo = &ec2types.GpuInfo{Gpus: []ec2types.GpuDeviceInfo{{Name: aws.String("L4"), Manufacturer: aws.String("NVIDIA"), Count: aws.Int32(1),
				GpuPartitionSize: aws.Float64(0.125), MemoryInfo: &ec2types.GpuDeviceMemoryInfo{SizeInMiB: aws.Int32(2861)}}}}
		}),
		want: ptr(want("g9f.large", func(f *Facts) {
			f.Category, f.Generation = "g", 9
			f.GPU = &Accelerator{Name: "l4", Manufacturer: "nvidia", Count: 0, MemoryMiB: 2861}
		})),
	}, {
		name: "HDD instance storage is not NVMe; high-memory family",
		info: base("u-9tb1.xlarge", func(i *ec2types.InstanceTypeInfo) {
			i.InstanceStorageInfo = &ec2types.InstanceStorageInfo{TotalSizeInGB: aws.Int64(6000), NvmeSupport: ec2types.EphemeralNvmeSupportUnsupported}
		}),
		want: ptr(want("u-9tb1.xlarge", func(f *Facts) { f.Category, f.Generation = "u", 1 })),
	}, {
		name: "Mac hosts are left out",
		info: base("mac9.metal", func(i *ec2types.InstanceTypeInfo) {
			i.ProcessorInfo.SupportedArchitectures = []ec2types.ArchitectureType{ec2types.ArchitectureTypeArm64Mac}
		}),
	}, {
		name: "32-bit only is left out",
		info: base("t0.nano", func(i *ec2types.InstanceTypeInfo) {
			i.ProcessorInfo.SupportedArchitectures = []ec2types.ArchitectureType{ec2types.ArchitectureTypeI386}
		}),
	}, {
		name: "no memory figure is left out",
		info: base("x9.large", func(i *ec2types.InstanceTypeInfo) { i.MemoryInfo = nil }),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := factsFromEC2(tt.info, nil)
			if tt.want == nil {
				if ok {
					t.Fatalf("got %+v, want the type left out", got)
				}
				return
			}
			if !ok || !reflect.DeepEqual(got, *tt.want) {
				t.Errorf("got  %+v (%t)\nwant %+v", got, ok, *tt.want)
			}
		})
	}
}

func TestFactsFromEC2TakesWhatTheAPILacksFromTheCatalog(t *testing.T) {
	info := &ec2types.InstanceTypeInfo{
		InstanceType:  "m5.large",
		VCpuInfo:      &ec2types.VCpuInfo{DefaultVCpus: aws.Int32(2)},
		MemoryInfo:    &ec2types.MemoryInfo{SizeInMiB: aws.Int64(8192)},
		ProcessorInfo: &ec2types.ProcessorInfo{SupportedArchitectures: []ec2types.ArchitectureType{"x86_64"}},
		NetworkInfo:   &ec2types.NetworkInfo{MaximumNetworkInterfaces: aws.Int32(3), Ipv4AddressesPerInterface: aws.Int32(10)},
	}
	known := map[string]Facts{"m5.large": {BranchENIs: 9, ENIMaxPods: 27}}
	got, _ := factsFromEC2(info, known)
	if got.BranchENIs != 9 || got.ENIMaxPods != 27 {
		t.Errorf("branch interfaces %d, max pods %d; want the catalog's 9 and 27", got.BranchENIs, got.ENIMaxPods)
	}
	if got, _ := factsFromEC2(info, nil); got.BranchENIs != 0 || got.ENIMaxPods != 29 {
		t.Errorf("unknown type: branch interfaces %d, max pods %d; want 0 and the formula's 29", got.BranchENIs, got.ENIMaxPods)
	}
}

func ptr[T any](v T) *T { return &v }
