package instancetype

import (
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

// Extended resources a node advertises through device plugins, where the instance type has the hardware.
const (
	ResourceNVIDIAGPU corev1.ResourceName = "nvidia.com/gpu"
	ResourceAMDGPU    corev1.ResourceName = "amd.com/gpu"
	ResourceAWSNeuron corev1.ResourceName = "aws.amazon.com/neuron"
	ResourceEFA       corev1.ResourceName = "vpc.amazonaws.com/efa"
	ResourcePodENI    corev1.ResourceName = "vpc.amazonaws.com/pod-eni"
)

const (
	// prefixesPerENISlot is how many pod IPs one IPv4 slot of an ENI carries in prefix-delegation mode (a /28).
	prefixesPerENISlot = 16
	// hostNetworkPods is the allowance the EKS max-pods formula adds for pods on the host network.
	hostNetworkPods = 2
	// DefaultRootVolumeGiB is the ephemeral storage assumed when the node class does not size the root volume.
	DefaultRootVolumeGiB = 20
	// gravitonCMAMiB is the contiguous memory Graviton kernels reserve at boot.
	gravitonCMAMiB = 64
	mib            = 1 << 20
)

// MaxPods is how many pods a node of this type can run under the node class: the VPC CNI limit for its
// cniMode (secondary-ip, prefix-delegation on Nitro, custom-networking), then kubelet.maxPods if set, capped
// by kubelet.podsPerCore x vCPU if set.
func MaxPods(f Facts, nc *awsv1.EC2NodeClass) int64 {
	var kubelet awsv1.KubeletConfiguration
	if nc.Spec.Kubelet != nil {
		kubelet = *nc.Spec.Kubelet
	}
	pods := eniLimitedPods(f, nc.Spec.CNIMode, int64(nc.Spec.ReservedENIs))
	if kubelet.MaxPods != nil {
		pods = int64(*kubelet.MaxPods)
	}
	if kubelet.PodsPerCore != nil && *kubelet.PodsPerCore > 0 {
		pods = min(pods, int64(*kubelet.PodsPerCore)*int64(f.VCPU))
	}
	return pods
}

func eniLimitedPods(f Facts, mode awsv1.CNIMode, reserved int64) int64 {
	ipsPerENI := int64(f.IPv4PerENI) - 1 // the ENI's own primary address is not a pod address
	enis := int64(f.DefaultCardMaxENIs) - reserved
	switch {
	case mode == awsv1.CNIModePrefixDelegation && supportsPrefixDelegation(f):
		limit := int64(110)
		if f.VCPU >= 30 {
			limit = 250
		}
		return min(max(enis, 0)*ipsPerENI*prefixesPerENISlot+hostNetworkPods, limit)
	case mode == awsv1.CNIModeCustomNetworking:
		// The primary ENI stays on the node's subnet; pods use the others.
		return max(enis-1, 0)*ipsPerENI + hostNetworkPods
	default:
		// The published EKS table already applies the formula (and corrects it where the hardware differs);
		// reserved ENIs take their addresses away from it.
		if f.ENIMaxPods > 0 {
			return max(int64(f.ENIMaxPods)-reserved*ipsPerENI, hostNetworkPods)
		}
		return max(enis, 0)*ipsPerENI + hostNetworkPods
	}
}

// supportsPrefixDelegation: IPv4 prefixes need the Nitro system; bare-metal instances run on it too.
func supportsPrefixDelegation(f Facts) bool { return f.Hypervisor == "nitro" || f.BareMetal }

// Capacity is what a node of this type reports: vCPUs, memory less the VM's own overhead (and 64 MiB of
// contiguous memory reserved on Graviton), max pods, the root volume as ephemeral storage, and the
// accelerators and network devices device plugins advertise.
func Capacity(f Facts, nc *awsv1.EC2NodeClass, vmMemoryOverheadPercent float64) corev1.ResourceList {
	memMiB := f.MemoryMiB
	if f.Architecture == "arm64" {
		memMiB -= gravitonCMAMiB
	}
	memMiB -= int64(math.Ceil(float64(memMiB) * vmMemoryOverheadPercent))
	out := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(int64(f.VCPU)*1000, resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(max(memMiB, 0)*mib, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(MaxPods(f, nc), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: rootVolumeSize(nc),
	}
	if g := f.GPU; g != nil && g.Count > 0 {
		switch g.Manufacturer {
		case "nvidia":
			out[ResourceNVIDIAGPU] = *resource.NewQuantity(int64(g.Count), resource.DecimalSI)
		case "amd":
			out[ResourceAMDGPU] = *resource.NewQuantity(int64(g.Count), resource.DecimalSI)
		}
	}
	if a := f.Accelerator; a != nil && a.Count > 0 && a.Manufacturer == "aws" {
		out[ResourceAWSNeuron] = *resource.NewQuantity(int64(a.Count), resource.DecimalSI)
	}
	if f.EFAInterfaces > 0 {
		out[ResourceEFA] = *resource.NewQuantity(int64(f.EFAInterfaces), resource.DecimalSI)
	}
	if f.BranchENIs > 0 {
		out[ResourcePodENI] = *resource.NewQuantity(int64(f.BranchENIs), resource.DecimalSI)
	}
	return out
}

// rootVolumeSize is the size of the volume the kubelet's filesystem lives on: the mapping marked rootVolume,
// else the AMI family's default root device, else DefaultRootVolumeGiB.
func rootVolumeSize(nc *awsv1.EC2NodeClass) resource.Quantity {
	device := "/dev/xvda"
	if amiFamily(nc) == awsv1.AMIFamilyBottlerocket {
		device = "/dev/xvdb" // Bottlerocket keeps containers on its data volume
	}
	var chosen *awsv1.BlockDeviceMapping
	for i, m := range nc.Spec.BlockDeviceMappings {
		if m.RootVolume {
			chosen = &nc.Spec.BlockDeviceMappings[i]
			break
		}
		if m.DeviceName == device && chosen == nil {
			chosen = &nc.Spec.BlockDeviceMappings[i]
		}
	}
	if chosen != nil && chosen.EBS != nil && chosen.EBS.VolumeSize != nil {
		return chosen.EBS.VolumeSize.DeepCopy()
	}
	return *resource.NewQuantity(DefaultRootVolumeGiB<<30, resource.BinarySI)
}

// KubeReserved is what the kubelet and container runtime keep: 11 MiB per pod plus 255 MiB of memory; 6% of
// the first core, 1% of the second, 0.5% of the third and fourth and 0.25% of each further core; 1 GiB of
// ephemeral storage. kubelet.kubeReserved replaces any of these it sets.
func KubeReserved(vcpu int32, maxPods int64, nc *awsv1.EC2NodeClass) corev1.ResourceList {
	// In tenths of a millicore: 6% of a core is 600, 1% is 100, 0.5% is 50, 0.25% is 25.
	tenths := int64(0)
	for core := int64(1); core <= int64(vcpu); core++ {
		switch {
		case core == 1:
			tenths += 600
		case core == 2:
			tenths += 100
		case core <= 4:
			tenths += 50
		default:
			tenths += 25
		}
	}
	out := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(tenths/10, resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity((11*maxPods+255)*mib, resource.BinarySI),
		corev1.ResourceEphemeralStorage: resource.MustParse("1Gi"),
	}
	if nc.Spec.Kubelet != nil {
		for k, v := range nc.Spec.Kubelet.KubeReserved {
			out[corev1.ResourceName(k)] = resource.MustParse(string(v))
		}
	}
	return out
}

// SystemReserved is kubelet.systemReserved; nothing unless the node class sets it.
func SystemReserved(nc *awsv1.EC2NodeClass) corev1.ResourceList {
	out := corev1.ResourceList{}
	if nc.Spec.Kubelet != nil {
		for k, v := range nc.Spec.Kubelet.SystemReserved {
			out[corev1.ResourceName(k)] = resource.MustParse(string(v))
		}
	}
	return out
}

// EvictionThreshold is the memory and root-volume headroom the kubelet keeps before it evicts pods:
// memory.available 100 MiB and nodefs.available 10% by default, or the larger of kubelet.evictionHard and
// kubelet.evictionSoft where set (a percentage is of the node's capacity).
func EvictionThreshold(capacity corev1.ResourceList, nc *awsv1.EC2NodeClass) corev1.ResourceList {
	memory := signal(capacity[corev1.ResourceMemory], "100Mi", nc, "memory.available")
	storage := signal(capacity[corev1.ResourceEphemeralStorage], "10%", nc, "nodefs.available")
	return corev1.ResourceList{corev1.ResourceMemory: memory, corev1.ResourceEphemeralStorage: storage}
}

func signal(capacity resource.Quantity, fallback string, nc *awsv1.EC2NodeClass, name string) resource.Quantity {
	values := []string{}
	if k := nc.Spec.Kubelet; k != nil {
		if v, ok := k.EvictionHard[name]; ok {
			values = append(values, string(v))
		}
		if v, ok := k.EvictionSoft[name]; ok {
			values = append(values, string(v))
		}
	}
	if len(values) == 0 {
		values = []string{fallback}
	}
	var largest resource.Quantity
	for _, v := range values {
		if q := thresholdQuantity(capacity, v); q.Cmp(largest) > 0 {
			largest = q
		}
	}
	return largest
}

// thresholdQuantity turns "10%" of capacity, or an absolute quantity, into bytes. CEL on the node class
// guarantees the syntax; anything else counts as zero.
func thresholdQuantity(capacity resource.Quantity, v string) resource.Quantity {
	if n := len(v); n > 0 && v[n-1] == '%' {
		pct, err := resource.ParseQuantity(v[:n-1])
		if err != nil {
			return resource.Quantity{}
		}
		bytes := math.Ceil(float64(capacity.Value()) * pct.AsApproximateFloat64() / 100)
		return *resource.NewQuantity(int64(bytes), resource.BinarySI)
	}
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return resource.Quantity{}
	}
	return q
}

func amiFamily(nc *awsv1.EC2NodeClass) string {
	for _, t := range nc.Spec.AMISelectorTerms {
		if strings.HasPrefix(t.Alias, "bottlerocket@") {
			return awsv1.AMIFamilyBottlerocket
		}
		if t.Alias != "" {
			return awsv1.AMIFamilyAL2023
		}
	}
	if nc.Spec.AMIFamily != nil {
		return *nc.Spec.AMIFamily
	}
	return awsv1.AMIFamilyAL2023
}
