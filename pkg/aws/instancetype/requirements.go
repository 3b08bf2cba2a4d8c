package instancetype

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// Requirements are the labels a node of this type will carry, as requirements. Every well-known label is
// present: with the type's value, or DoesNotExist when the type has no such value (no GPU, say), so that a
// NodePool's Gt/Lt and DoesNotExist requirements work. Zones and capacity types are those of the offerings.
func Requirements(f Facts, region string, offerings cloudprovider.Offerings) scheduling.Requirements {
	zones, capacityTypes := []string{}, []string{}
	for _, o := range offerings {
		zones = append(zones, o.Zone)
		capacityTypes = append(capacityTypes, o.CapacityType)
	}
	reqs := scheduling.NewRequirements(
		in(corev1.LabelInstanceTypeStable, f.Name),
		in(corev1.LabelArchStable, f.Architecture),
		in(corev1.LabelOSStable, string(corev1.Linux)),
		in(corev1.LabelTopologyRegion, region),
		in(corev1.LabelTopologyZone, zones...),
		in(v1.CapacityTypeLabelKey, capacityTypes...),
		scheduling.NewRequirement(corev1.LabelWindowsBuild, corev1.NodeSelectorOpDoesNotExist),
		in(awsv1.LabelInstanceCategory, f.Category),
		in(awsv1.LabelInstanceFamily, f.Family),
		in(awsv1.LabelInstanceSize, f.Size),
		in(awsv1.LabelInstanceCPU, itoa(int64(f.VCPU))),
		in(awsv1.LabelInstanceMemory, itoa(f.MemoryMiB)),
		optional(awsv1.LabelInstanceGeneration, itoa(int64(f.Generation))),
		optional(awsv1.LabelInstanceCPUManufacturer, f.CPUManufacturer),
		optional(awsv1.LabelInstanceHypervisor, f.Hypervisor),
		optional(awsv1.LabelInstanceNetworkBW, itoa(f.NetworkBandwidthMbps)),
		optional(awsv1.LabelInstanceEBSBandwidth, itoa(f.EBSBandwidthMbps)),
		optional(awsv1.LabelInstanceLocalNVMe, itoa(f.LocalNVMeGB)),
	)
	var gpu, accelerator Accelerator
	if f.GPU != nil {
		gpu = *f.GPU
	}
	if f.Accelerator != nil {
		accelerator = *f.Accelerator
	}
	reqs.Add(optional(awsv1.LabelInstanceGPUName, gpu.Name))
	reqs.Add(optional(awsv1.LabelInstanceGPUManufacturer, gpu.Manufacturer))
	reqs.Add(optional(awsv1.LabelInstanceGPUCount, itoa(int64(gpu.Count))))
	reqs.Add(optional(awsv1.LabelInstanceGPUMemory, itoa(gpu.MemoryMiB)))
	reqs.Add(optional(awsv1.LabelInstanceAcceleratorName, accelerator.Name))
	reqs.Add(optional(awsv1.LabelInstanceAcceleratorMfr, accelerator.Manufacturer))
	reqs.Add(optional(awsv1.LabelInstanceAcceleratorCnt, itoa(int64(accelerator.Count))))
	return reqs
}

// WellKnown reports whether Stevedore sets key on nodes itself, so a NodePool requirement on it must be met
// by the instance type; other keys are labels the NodePool adds, which any type can carry.
func WellKnown(key string) bool {
	switch key {
	case corev1.LabelInstanceTypeStable, corev1.LabelArchStable, corev1.LabelOSStable, corev1.LabelTopologyRegion,
		corev1.LabelTopologyZone, v1.CapacityTypeLabelKey, corev1.LabelWindowsBuild:
		return true
	}
	return strings.HasPrefix(key, awsv1.Group+"/instance-")
}

func in(key string, values ...string) *scheduling.Requirement {
	return scheduling.NewRequirement(key, corev1.NodeSelectorOpIn, values...)
}

// optional is key In [value], or DoesNotExist when value is empty or "0".
func optional(key, value string) *scheduling.Requirement {
	if value == "" || value == "0" {
		return scheduling.NewRequirement(key, corev1.NodeSelectorOpDoesNotExist)
	}
	return in(key, value)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
