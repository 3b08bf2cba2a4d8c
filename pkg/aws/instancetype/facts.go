package instancetype

// Facts is what EC2 says about one instance type (DescribeInstanceTypes in production, the embedded catalog
// offline). It holds no opinion: overhead, allocatable capacity and max pods for a given EC2NodeClass are derived
// from it elsewhere. The JSON names are the embedded catalog's file format; zero values are omitted there.
type Facts struct {
	// Name is the instance type, for example m5.large.
	Name string `json:"name"`
	// Family is the part of Name before the dot, for example m5 or c7i-flex.
	Family string `json:"family"`
	// Category is the family's leading letters, for example m, inf or u.
	Category string `json:"category"`
	// Generation is the family's generation number, for example 5 for m5; 0 when unknown.
	Generation int `json:"generation,omitempty"`
	// Size is the part of Name after the dot, for example large or metal-24xl.
	Size string `json:"size"`
	// VCPU is the number of virtual CPUs (hardware threads).
	VCPU int32 `json:"vcpu"`
	// MemoryMiB is the instance's memory before any reservation by the operating system or kubelet.
	MemoryMiB int64 `json:"memoryMiB"`
	// Architecture is the CPU architecture in its Kubernetes spelling (kubernetes.io/arch): amd64 or arm64.
	Architecture string `json:"architecture"`
	// CPUManufacturer is who made the CPU, lower case: intel, amd, aws (Graviton) and so on; empty when unknown.
	CPUManufacturer string `json:"cpuManufacturer,omitempty"`
	// CPUSustainedClockMHz is the CPU's sustained all-core clock speed; 0 when unknown.
	CPUSustainedClockMHz int32 `json:"cpuSustainedClockMHz,omitempty"`
	// GPU describes the type's GPUs; nil when it has none. A non-nil GPU with Count 0 is a fractional share of
	// one GPU (g6f, gr6f): the type gets part of a GPU's memory, not a whole device.
	GPU *Accelerator `json:"gpu,omitempty"`
	// Accelerator describes the type's other machine-learning accelerators (AWS Inferentia and Trainium, exposed
	// to pods as aws.amazon.com/neuron, or Qualcomm AI 100); nil when it has none.
	Accelerator *Accelerator `json:"accelerator,omitempty"`
	// MaxENIs is the number of network interfaces the type can attach across all of its network cards; 0 when
	// unknown (a few types have only card 0's limits published).
	MaxENIs int32 `json:"maxENIs"`
	// DefaultCardMaxENIs is the number of network interfaces on network card 0. The VPC CNI only attaches
	// interfaces there, so this, not MaxENIs, bounds pods in secondary-IP mode.
	DefaultCardMaxENIs int32 `json:"defaultCardMaxENIs"`
	// IPv4PerENI is the number of private IPv4 addresses each network interface can hold, its own included.
	IPv4PerENI int32 `json:"ipv4PerENI"`
	// NetworkCards is the number of network cards, more than one only on large network-optimised types; 0 when
	// unknown, like MaxENIs.
	NetworkCards int32 `json:"networkCards"`
	// Hypervisor is nitro or xen, or empty for bare metal.
	Hypervisor string `json:"hypervisor,omitempty"`
	// BareMetal is true when the instance is the whole host, with no hypervisor.
	BareMetal bool `json:"bareMetal,omitempty"`
	// NetworkBandwidthMbps is the baseline network bandwidth; 0 when unknown.
	NetworkBandwidthMbps int64 `json:"networkBandwidthMbps,omitempty"`
	// EBSBandwidthMbps is the maximum bandwidth to EBS volumes; 0 when unknown.
	EBSBandwidthMbps int64 `json:"ebsBandwidthMbps,omitempty"`
	// LocalNVMeGB is the total size of the instance-store NVMe disks; 0 when there are none.
	LocalNVMeGB int64 `json:"localNVMeGB,omitempty"`
	// EncryptionInTransit is true when traffic between two such instances is encrypted by the hardware.
	EncryptionInTransit bool `json:"encryptionInTransit,omitempty"`
	// EFAInterfaces is the number of Elastic Fabric Adapter interfaces the type supports; 0 when none.
	EFAInterfaces int32 `json:"efaInterfaces,omitempty"`
	// BranchENIs is the number of branch interfaces a trunk interface supports, which is the
	// vpc.amazonaws.com/pod-eni capacity for security groups per pod; 0 when the type cannot trunk or that is
	// unknown.
	BranchENIs int32 `json:"branchENIs,omitempty"`
	// ENIMaxPods is the max pods the EKS AMI publishes for the type with the VPC CNI in secondary-IP mode:
	// the eni-max-pods.txt value where the type is listed, otherwise the formula that table is built with,
	// DefaultCardMaxENIs*(IPv4PerENI-1)+2.
	ENIMaxPods int32 `json:"eniMaxPods"`
}

// Accelerator describes identical devices attached to an instance: GPUs, or machine-learning accelerators.
type Accelerator struct {
	// Name is the device model, lower case, for example a100, l4 or inferentia2.
	Name string `json:"name"`
	// Manufacturer is who made the device, lower case, for example nvidia, amd or aws.
	Manufacturer string `json:"manufacturer"`
	// Count is the number of devices; 0 means a fractional share of one device (see Facts.GPU).
	Count int32 `json:"count"`
	// MemoryMiB is the memory of one device (or of the share); 0 when unknown.
	MemoryMiB int64 `json:"memoryMiB,omitempty"`
}
