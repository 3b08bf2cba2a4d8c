package instancetype

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// familyPattern splits a family into its category and generation: m in m5, c and 7 in c7i-flex, u and 1 in
// u-6tb1 (the high-memory families put their memory size between the two).
var familyPattern = regexp.MustCompile(`^([a-z]+)(?:-\d+tb)?(\d+)`)

// factsFromEC2 maps one DescribeInstanceTypes entry onto Facts. It reports false for types Stevedore cannot run
// nodes on: no amd64 or arm64 architecture (i386, the Mac hosts), or no vCPU or memory figures. known supplies
// what the API does not publish, from the embedded catalog when it has the type.
func factsFromEC2(info *ec2types.InstanceTypeInfo, known map[string]Facts) (Facts, bool) {
	name := string(info.InstanceType)
	family, size, _ := strings.Cut(name, ".")
	f := Facts{Name: name, Family: family, Size: size, Category: leadingLetters(family)}
	if m := familyPattern.FindStringSubmatch(family); m != nil {
		f.Category = m[1]
		f.Generation, _ = strconv.Atoi(m[2])
	}
	if info.VCpuInfo != nil {
		f.VCPU = aws.ToInt32(info.VCpuInfo.DefaultVCpus)
	}
	if info.MemoryInfo != nil {
		f.MemoryMiB = aws.ToInt64(info.MemoryInfo.SizeInMiB)
	}
	if p := info.ProcessorInfo; p != nil {
		f.Architecture = kubernetesArch(p.SupportedArchitectures)
		f.CPUManufacturer = strings.ToLower(aws.ToString(p.Manufacturer))
		f.CPUSustainedClockMHz = int32(math.Round(aws.ToFloat64(p.SustainedClockSpeedInGhz) * 1000))
	}
	if f.Architecture == "" || f.VCPU == 0 || f.MemoryMiB == 0 {
		return Facts{}, false
	}
	f.GPU = gpu(info.GpuInfo)
	f.Accelerator = accelerator(info)
	f.Hypervisor = string(info.Hypervisor)
	f.BareMetal = aws.ToBool(info.BareMetal)
	if n := info.NetworkInfo; n != nil {
		network(&f, n)
	}
	if e := info.EbsInfo; e != nil && e.EbsOptimizedInfo != nil {
		f.EBSBandwidthMbps = int64(aws.ToInt32(e.EbsOptimizedInfo.MaximumBandwidthInMbps))
	}
	if s := info.InstanceStorageInfo; s != nil && s.NvmeSupport != ec2types.EphemeralNvmeSupportUnsupported {
		f.LocalNVMeGB = aws.ToInt64(s.TotalSizeInGB)
	}
	// Branch interfaces (security groups per pod) and the EKS AMI's max-pods table are not in the API.
	f.ENIMaxPods = f.DefaultCardMaxENIs*(f.IPv4PerENI-1) + 2
	if c, ok := known[name]; ok {
		f.BranchENIs = c.BranchENIs
		f.ENIMaxPods = c.ENIMaxPods
	}
	return f, true
}

// network copies the interface limits, bandwidth, EFA and encryption figures.
func network(f *Facts, n *ec2types.NetworkInfo) {
	f.MaxENIs = aws.ToInt32(n.MaximumNetworkInterfaces)
	f.NetworkCards = aws.ToInt32(n.MaximumNetworkCards)
	f.IPv4PerENI = aws.ToInt32(n.Ipv4AddressesPerInterface)
	f.EncryptionInTransit = aws.ToBool(n.EncryptionInTransitSupported)
	if n.EfaInfo != nil {
		f.EFAInterfaces = aws.ToInt32(n.EfaInfo.MaximumEfaInterfaces)
	}
	// The VPC CNI attaches interfaces to the default card only, so that card's limit bounds pods.
	f.DefaultCardMaxENIs = f.MaxENIs
	defaultCard := aws.ToInt32(n.DefaultNetworkCardIndex)
	var gbps float64
	for _, c := range n.NetworkCards {
		if aws.ToInt32(c.NetworkCardIndex) == defaultCard {
			f.DefaultCardMaxENIs = aws.ToInt32(c.MaximumNetworkInterfaces)
		}
		gbps += aws.ToFloat64(c.BaselineBandwidthInGbps)
	}
	f.NetworkBandwidthMbps = int64(math.Round(gbps * 1000))
}

// kubernetesArch spells the type's architecture as kubernetes.io/arch does; empty when it is neither amd64 nor
// arm64 (i386 is 32-bit; x86_64_mac and arm64_mac are Mac hosts, which run macOS).
func kubernetesArch(archs []ec2types.ArchitectureType) string {
	for _, a := range archs {
		switch a {
		case ec2types.ArchitectureTypeX8664:
			return "amd64"
		case ec2types.ArchitectureTypeArm64:
			return "arm64"
		}
	}
	return ""
}

// gpu describes the first kind of GPU; no type mixes GPU models.
func gpu(info *ec2types.GpuInfo) *Accelerator {
	if info == nil || len(info.Gpus) == 0 {
		return nil
	}
	g := info.Gpus[0]
	a := &Accelerator{Name: deviceName(g.Name), Manufacturer: deviceName(g.Manufacturer), Count: aws.ToInt32(g.Count)}
	if g.MemoryInfo != nil {
		a.MemoryMiB = int64(aws.ToInt32(g.MemoryInfo.SizeInMiB))
	}
	// A partition of one GPU (g6f, gr6f) is not a whole device a pod can request: Facts spells it count 0.
	if size := aws.ToFloat64(g.GpuPartitionSize); size > 0 && size < 1 {
		a.Count = 0
	}
	return a
}

// accelerator describes the Neuron devices (Inferentia, Trainium), or else the other inference accelerators.
// inf1 lists its Inferentia chips under both; Neuron is the name its device plugin advertises.
func accelerator(info *ec2types.InstanceTypeInfo) *Accelerator {
	if n := info.NeuronInfo; n != nil && len(n.NeuronDevices) > 0 {
		d := n.NeuronDevices[0]
		a := &Accelerator{Name: deviceName(d.Name), Manufacturer: "aws", Count: aws.ToInt32(d.Count)}
		if d.MemoryInfo != nil {
			a.MemoryMiB = int64(aws.ToInt32(d.MemoryInfo.SizeInMiB))
		}
		return a
	}
	if i := info.InferenceAcceleratorInfo; i != nil && len(i.Accelerators) > 0 {
		d := i.Accelerators[0]
		a := &Accelerator{Name: deviceName(d.Name), Manufacturer: deviceName(d.Manufacturer), Count: aws.ToInt32(d.Count)}
		if d.MemoryInfo != nil {
			a.MemoryMiB = int64(aws.ToInt32(d.MemoryInfo.SizeInMiB))
		}
		return a
	}
	return nil
}

// deviceName spells a device or maker name as the catalog and the node labels do: "Radeon Pro V520" becomes
// radeon-pro-v520, "NVIDIA" nvidia.
func deviceName(s *string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(aws.ToString(s))), " ", "-")
}

// leadingLetters is the family's category when the family does not follow the usual pattern.
func leadingLetters(family string) string {
	i := strings.IndexFunc(family, func(r rune) bool { return r < 'a' || r > 'z' })
	if i < 0 {
		return family
	}
	return family[:i]
}
