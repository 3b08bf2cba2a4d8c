package awssim

import (
	"strings"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
)

type xmlInstanceType struct {
	InstanceType                  string             `xml:"instanceType"`
	CurrentGeneration             bool               `xml:"currentGeneration"`
	SupportedUsageClasses         []string           `xml:"supportedUsageClasses>item"`
	SupportedRootDeviceTypes      []string           `xml:"supportedRootDeviceTypes>item"`
	SupportedVirtualizationTypes  []string           `xml:"supportedVirtualizationTypes>item"`
	BareMetal                     bool               `xml:"bareMetal"`
	Hypervisor                    string             `xml:"hypervisor,omitempty"`
	BurstablePerformanceSupported bool               `xml:"burstablePerformanceSupported"`
	ProcessorInfo                 xmlProcessorInfo   `xml:"processorInfo"`
	VCPUInfo                      xmlVCPUInfo        `xml:"vCpuInfo"`
	MemoryInfo                    xmlMemoryInfo      `xml:"memoryInfo"`
	InstanceStorageSupported      bool               `xml:"instanceStorageSupported"`
	InstanceStorageInfo           *xmlStorageInfo    `xml:"instanceStorageInfo,omitempty"`
	NetworkInfo                   xmlNetworkInfo     `xml:"networkInfo"`
	GPUInfo                       *xmlGPUInfo        `xml:"gpuInfo,omitempty"`
	SupportedBootModes            []string           `xml:"supportedBootModes>item"`
	PlacementGroupInfo            *xmlPlacementGroup `xml:"placementGroupInfo,omitempty"`
}

type xmlProcessorInfo struct {
	SupportedArchitectures   []string `xml:"supportedArchitectures>item"`
	SustainedClockSpeedInGhz float64  `xml:"sustainedClockSpeedInGhz,omitempty"`
	Manufacturer             string   `xml:"manufacturer,omitempty"`
}

type xmlVCPUInfo struct {
	DefaultVCpus int32 `xml:"defaultVCpus"`
}

type xmlMemoryInfo struct {
	SizeInMiB int64 `xml:"sizeInMiB"`
}

type xmlStorageInfo struct {
	TotalSizeInGB int64  `xml:"totalSizeInGB"`
	NvmeSupport   string `xml:"nvmeSupport"`
}

type xmlNetworkInfo struct {
	MaximumNetworkInterfaces     int32            `xml:"maximumNetworkInterfaces"`
	MaximumNetworkCards          int32            `xml:"maximumNetworkCards"`
	DefaultNetworkCardIndex      int32            `xml:"defaultNetworkCardIndex"`
	NetworkCards                 []xmlNetworkCard `xml:"networkCards>item"`
	IPv4AddressesPerInterface    int32            `xml:"ipv4AddressesPerInterface"`
	IPv6AddressesPerInterface    int32            `xml:"ipv6AddressesPerInterface"`
	IPv6Supported                bool             `xml:"ipv6Supported"`
	EfaSupported                 bool             `xml:"efaSupported"`
	EfaInfo                      *xmlEfaInfo      `xml:"efaInfo,omitempty"`
	EncryptionInTransitSupported bool             `xml:"encryptionInTransitSupported"`
}

type xmlNetworkCard struct {
	NetworkCardIndex         int32 `xml:"networkCardIndex"`
	MaximumNetworkInterfaces int32 `xml:"maximumNetworkInterfaces"`
}

type xmlEfaInfo struct {
	MaximumEfaInterfaces int32 `xml:"maximumEfaInterfaces"`
}

type xmlGPUInfo struct {
	GPUs                []xmlGPU `xml:"gpus>item"`
	TotalGPUMemoryInMiB int64    `xml:"totalGpuMemoryInMiB"`
}

type xmlGPU struct {
	Name         string        `xml:"name"`
	Manufacturer string        `xml:"manufacturer"`
	Count        int32         `xml:"count"`
	MemoryInfo   xmlMemoryInfo `xml:"memoryInfo"`
}

type xmlPlacementGroup struct {
	SupportedStrategies []string `xml:"supportedStrategies>item"`
}

type describeInstanceTypesResponse struct {
	InstanceTypes []xmlInstanceType `xml:"instanceTypeSet>item"`
	NextToken     string            `xml:"nextToken,omitempty"`
}

// ec2Architecture spells a Kubernetes architecture the way EC2 does.
func ec2Architecture(arch string) string {
	if arch == "amd64" {
		return "x86_64"
	}
	return arch
}

// ec2Manufacturer spells a catalog CPU manufacturer the way DescribeInstanceTypes does.
func ec2Manufacturer(m string) string {
	switch m {
	case "intel":
		return "Intel"
	case "amd", "aws":
		return strings.ToUpper(m)
	}
	return m
}

// describeType renders catalog facts as DescribeInstanceTypes would. Names of GPUs keep the catalog's lower case.
func describeType(f instancetype.Facts) xmlInstanceType {
	maxENIs := f.MaxENIs
	if maxENIs == 0 {
		maxENIs = f.DefaultCardMaxENIs
	}
	cards := max(f.NetworkCards, 1)
	t := xmlInstanceType{
		InstanceType:                  f.Name,
		CurrentGeneration:             true,
		SupportedUsageClasses:         []string{"on-demand", "spot"},
		SupportedRootDeviceTypes:      []string{"ebs"},
		SupportedVirtualizationTypes:  []string{"hvm"},
		BareMetal:                     f.BareMetal,
		Hypervisor:                    f.Hypervisor,
		BurstablePerformanceSupported: strings.HasPrefix(f.Family, "t"),
		ProcessorInfo: xmlProcessorInfo{
			SupportedArchitectures:   []string{ec2Architecture(f.Architecture)},
			SustainedClockSpeedInGhz: float64(f.CPUSustainedClockMHz) / 1000,
			Manufacturer:             ec2Manufacturer(f.CPUManufacturer),
		},
		VCPUInfo:                 xmlVCPUInfo{DefaultVCpus: f.VCPU},
		MemoryInfo:               xmlMemoryInfo{SizeInMiB: f.MemoryMiB},
		InstanceStorageSupported: f.LocalNVMeGB > 0,
		NetworkInfo: xmlNetworkInfo{
			MaximumNetworkInterfaces:     maxENIs,
			MaximumNetworkCards:          cards,
			NetworkCards:                 []xmlNetworkCard{{NetworkCardIndex: 0, MaximumNetworkInterfaces: f.DefaultCardMaxENIs}},
			IPv4AddressesPerInterface:    f.IPv4PerENI,
			IPv6AddressesPerInterface:    f.IPv4PerENI,
			IPv6Supported:                true,
			EfaSupported:                 f.EFAInterfaces > 0,
			EncryptionInTransitSupported: f.EncryptionInTransit,
		},
		SupportedBootModes: []string{"uefi"},
	}
	if f.Architecture == "amd64" {
		t.SupportedBootModes = []string{"legacy-bios", "uefi"}
	}
	if f.LocalNVMeGB > 0 {
		t.InstanceStorageInfo = &xmlStorageInfo{TotalSizeInGB: f.LocalNVMeGB, NvmeSupport: "required"}
	}
	if f.EFAInterfaces > 0 {
		t.NetworkInfo.EfaInfo = &xmlEfaInfo{MaximumEfaInterfaces: f.EFAInterfaces}
	}
	if g := f.GPU; g != nil {
		t.GPUInfo = &xmlGPUInfo{
			GPUs: []xmlGPU{{
				Name: g.Name, Manufacturer: g.Manufacturer, Count: g.Count, MemoryInfo: xmlMemoryInfo{SizeInMiB: g.MemoryMiB},
			}},
			TotalGPUMemoryInMiB: g.MemoryMiB * int64(max(g.Count, 1)),
		}
	}
	return t
}

func (s *Server) describeInstanceTypes(p params, _ time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	names := p.strs("InstanceType")
	candidates := s.types
	if len(names) > 0 {
		candidates = nil
		for _, name := range names {
			i, ok := s.typeIndex[name]
			if !ok {
				return nil, clientError("InvalidInstanceType", "The following supplied instance types do not exist: [%s]", name)
			}
			candidates = append(candidates, s.types[i])
		}
	}
	var matched []instancetype.Facts
	for _, f := range candidates {
		ok, err := match(filters, nil, func(name string) ([]string, bool) {
			switch name {
			case "instance-type":
				return []string{f.Name}, true
			case "processor-info.supported-architecture":
				return []string{ec2Architecture(f.Architecture)}, true
			case "bare-metal":
				return []string{boolString(f.BareMetal)}, true
			case "hypervisor":
				return []string{f.Hypervisor}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, f)
		}
	}
	start, end, next, err := p.page(len(matched), 100, 5, 100)
	if err != nil {
		return nil, err
	}
	resp := &describeInstanceTypesResponse{NextToken: next}
	for _, f := range matched[start:end] {
		resp.InstanceTypes = append(resp.InstanceTypes, describeType(f))
	}
	return resp, nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

type xmlOffering struct {
	InstanceType string `xml:"instanceType"`
	LocationType string `xml:"locationType"`
	Location     string `xml:"location"`
}

type describeInstanceTypeOfferingsResponse struct {
	Offerings []xmlOffering `xml:"instanceTypeOfferingSet>item"`
	NextToken string        `xml:"nextToken,omitempty"`
}

// describeInstanceTypeOfferings offers every catalogued type in the region and in every zone.
func (s *Server) describeInstanceTypeOfferings(p params, _ time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	locationType := p.str("LocationType")
	var locations []string
	switch locationType {
	case "", "region":
		locationType, locations = "region", []string{s.region}
	case "availability-zone":
		for _, z := range s.zones {
			locations = append(locations, z.name)
		}
	case "availability-zone-id":
		for _, z := range s.zones {
			locations = append(locations, z.id)
		}
	default:
		return nil, clientError("InvalidParameterValue", "The location type '%s' is invalid.", locationType)
	}
	var matched []xmlOffering
	for _, f := range s.types {
		for _, loc := range locations {
			ok, err := match(filters, nil, func(name string) ([]string, bool) {
				switch name {
				case "instance-type":
					return []string{f.Name}, true
				case "location":
					return []string{loc}, true
				}
				return nil, false
			})
			if err != nil {
				return nil, err
			}
			if ok {
				matched = append(matched, xmlOffering{InstanceType: f.Name, LocationType: locationType, Location: loc})
			}
		}
	}
	start, end, next, err := p.page(len(matched), 1000, 5, 1000)
	if err != nil {
		return nil, err
	}
	return &describeInstanceTypeOfferingsResponse{Offerings: matched[start:end], NextToken: next}, nil
}
