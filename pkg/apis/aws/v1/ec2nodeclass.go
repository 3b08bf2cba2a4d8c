package v1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EC2NodeClassSpec is how Stevedore launches EC2 instances: where (subnets), with what network access
// (security groups), from which image, as whom (IAM), with what storage and kubelet settings.
//
// +kubebuilder:validation:XValidation:rule="has(self.role) != has(self.instanceProfile)",message="set exactly one of spec.role (Stevedore manages an instance profile for it) or spec.instanceProfile (you manage it)"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.role) || has(self.role)",message="spec.role cannot be replaced by spec.instanceProfile: existing nodes would keep an instance profile nobody owns; create a new EC2NodeClass instead"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.instanceProfile) || has(self.instanceProfile)",message="spec.instanceProfile cannot be replaced by spec.role; create a new EC2NodeClass instead"
// +kubebuilder:validation:XValidation:rule="self.amiSelectorTerms.exists(t, has(t.alias)) ? !has(self.amiFamily) : has(self.amiFamily)",message="set spec.amiFamily (AL2023, Bottlerocket or Custom) when amiSelectorTerms select by id, name, tags or ssmParameter; omit it with an alias, which already names the family"
type EC2NodeClassSpec struct {
	// SubnetSelectorTerms select the subnets instances launch into; terms are ORed. Each subnet's zone becomes a
	// zone the NodePools may use.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=30
	// +listType=atomic
	// +required
	SubnetSelectorTerms []SubnetSelectorTerm `json:"subnetSelectorTerms"`
	// SecurityGroupSelectorTerms select the security groups attached to instances; terms are ORed.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=30
	// +listType=atomic
	// +required
	SecurityGroupSelectorTerms []SecurityGroupSelectorTerm `json:"securityGroupSelectorTerms"`
	// AMISelectorTerms select the images instances boot from; terms are ORed, and the newest compatible image
	// wins. An alias (al2023@latest, bottlerocket@v1.26.2) picks the EKS-optimised image for the cluster's
	// Kubernetes version and must be the only term.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=30
	// +kubebuilder:validation:XValidation:rule="self.exists(t, has(t.alias)) ? size(self) == 1 : true",message="an amiSelectorTerms alias must be the only term"
	// +listType=atomic
	// +required
	AMISelectorTerms []AMISelectorTerm `json:"amiSelectorTerms"`
	// AMIFamily says how to bootstrap images chosen by id, name, tags or ssmParameter: AL2023, Bottlerocket,
	// or Custom (userData is used verbatim). Omit it when using an alias.
	// +kubebuilder:validation:Enum=AL2023;Bottlerocket;Custom
	// +optional
	AMIFamily *string `json:"amiFamily,omitempty"`
	// Role is the IAM role nodes run as; Stevedore creates and owns an instance profile for it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Role string `json:"role,omitempty"`
	// InstanceProfile is an existing IAM instance profile to launch with; you own it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +optional
	InstanceProfile *string `json:"instanceProfile,omitempty"`
	// Tags to put on instances, volumes, network interfaces and launch templates. Tags Stevedore uses to track
	// ownership cannot be overridden.
	// +kubebuilder:validation:MaxProperties=40
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k in ['stevedore.dev/cluster', 'stevedore.dev/nodepool', 'stevedore.dev/nodeclaim', 'aws.stevedore.dev/ec2nodeclass', 'eks:eks-cluster-name']) && !k.startsWith('kubernetes.io/cluster/'))",messageExpression="'tag \"' + self.filter(k, k in ['stevedore.dev/cluster', 'stevedore.dev/nodepool', 'stevedore.dev/nodeclaim', 'aws.stevedore.dev/ec2nodeclass', 'eks:eks-cluster-name'] || k.startsWith('kubernetes.io/cluster/'))[0] + '\" is set by Stevedore to track ownership and cannot be overridden; remove it from spec.tags'"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('aws:'))",message="tag keys starting with 'aws:' are reserved by AWS"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) >= 1 && size(k) <= 128 && size(self[k]) <= 256)",message="tag keys must be 1 to 128 characters and values at most 256"
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
	// BlockDeviceMappings are the instance's EBS volumes. Default: a 20Gi encrypted gp3 root volume.
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:XValidation:rule="self.filter(m, has(m.rootVolume) && m.rootVolume).size() <= 1",message="at most one block device mapping may be the rootVolume"
	// +kubebuilder:validation:XValidation:rule="self.all(m, self.exists_one(n, n.deviceName == m.deviceName))",message="each deviceName may appear only once"
	// +listType=atomic
	// +optional
	BlockDeviceMappings []BlockDeviceMapping `json:"blockDeviceMappings,omitempty"`
	// MetadataOptions configure the instance metadata service. Defaults keep pods away from the node's
	// credentials: IMDSv2 tokens required and a hop limit of 1.
	// +kubebuilder:default={httpEndpoint: enabled, httpProtocolIPv6: disabled, httpPutResponseHopLimit: 1, httpTokens: required}
	// +optional
	MetadataOptions *MetadataOptions `json:"metadataOptions,omitempty"`
	// UserData is merged with the bootstrap configuration Stevedore generates (for the Custom family it is used
	// as is).
	// +kubebuilder:validation:MaxLength=16384
	// +optional
	UserData *string `json:"userData,omitempty"`
	// Kubelet settings, which also change how much of each node is allocatable.
	// +optional
	Kubelet *KubeletConfiguration `json:"kubelet,omitempty"`
	// AssociatePublicIPAddress overrides the subnet's default for public IPv4 addresses.
	// +optional
	AssociatePublicIPAddress *bool `json:"associatePublicIPAddress,omitempty"`
	// DetailedMonitoring turns on one-minute CloudWatch metrics for instances (extra cost).
	// +optional
	DetailedMonitoring *bool `json:"detailedMonitoring,omitempty"`
	// CNIMode is how the VPC CNI gives pods addresses, which decides how many pods fit on a node:
	// secondary-ip (one address per pod), prefix-delegation (a /28 prefix per slot, Nitro instances only), or
	// custom-networking (pods use ENIs in other subnets, so the primary ENI holds no pods).
	// +kubebuilder:validation:Enum=secondary-ip;prefix-delegation;custom-networking
	// +kubebuilder:default=secondary-ip
	// +optional
	CNIMode CNIMode `json:"cniMode,omitempty"`
	// ReservedENIs is how many network interfaces to keep free of pods (for other agents), reducing max pods.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=15
	// +optional
	ReservedENIs int32 `json:"reservedENIs,omitempty"`
	// AllocationStrategy tells EC2 Fleet how to choose among the instance types and zones of a launch.
	// +optional
	AllocationStrategy *AllocationStrategy `json:"allocationStrategy,omitempty"`
}

// AllocationStrategy is how EC2 Fleet picks among a launch's instance types and zones, per capacity type.
type AllocationStrategy struct {
	// Spot: price-capacity-optimized (default: cheap pools least likely to be interrupted),
	// capacity-optimized, capacity-optimized-prioritized (Stevedore's price order breaks ties) or lowest-price.
	// +kubebuilder:validation:Enum=price-capacity-optimized;capacity-optimized;capacity-optimized-prioritized;lowest-price
	// +kubebuilder:default=price-capacity-optimized
	// +optional
	Spot string `json:"spot,omitempty"`
	// OnDemand: lowest-price (default) or prioritized (Stevedore's price order, cheapest first).
	// +kubebuilder:validation:Enum=lowest-price;prioritized
	// +kubebuilder:default=lowest-price
	// +optional
	OnDemand string `json:"onDemand,omitempty"`
}

// CNIMode is how the VPC CNI assigns pod addresses.
type CNIMode string

// CNI modes.
const (
	CNIModeSecondaryIP      = CNIMode("secondary-ip")
	CNIModePrefixDelegation = CNIMode("prefix-delegation")
	CNIModeCustomNetworking = CNIMode("custom-networking")
)

// AMI families.
const (
	AMIFamilyAL2023       = "AL2023"
	AMIFamilyBottlerocket = "Bottlerocket"
	AMIFamilyCustom       = "Custom"
)

// DefaultRootVolumeSizeGiB is the root volume size when blockDeviceMappings are not set.
const DefaultRootVolumeSizeGiB = 20

// SubnetSelectorTerm selects subnets by tags or by id.
//
// +kubebuilder:validation:XValidation:rule="has(self.tags) || has(self.id)",message="a subnet selector term needs tags or id"
// +kubebuilder:validation:XValidation:rule="!(has(self.tags) && has(self.id))",message="id and tags are mutually exclusive in a subnet selector term; use separate terms"
type SubnetSelectorTerm struct {
	// Tags a subnet must carry; "*" matches any value.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=20
	// +kubebuilder:validation:XValidation:rule="self.all(k, k != '' && self[k] != '')",message="tag keys and values must not be empty; use '*' to match any value"
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
	// ID of a subnet, subnet-0123456789abcdef0.
	// +kubebuilder:validation:XValidation:rule="self.matches('^subnet-[0-9a-z]+$')",message="id must look like subnet-0123456789abcdef0"
	// +kubebuilder:validation:MaxLength=64
	// +optional
	ID string `json:"id,omitempty"`
}

// SecurityGroupSelectorTerm selects security groups by tags, id or name.
//
// +kubebuilder:validation:XValidation:rule="has(self.tags) || has(self.id) || has(self.name)",message="a security group selector term needs tags, id or name"
// +kubebuilder:validation:XValidation:rule="has(self.id) ? !has(self.tags) && !has(self.name) : true",message="id is mutually exclusive with tags and name in a security group selector term; use separate terms"
// +kubebuilder:validation:XValidation:rule="has(self.name) ? !has(self.tags) : true",message="name is mutually exclusive with tags in a security group selector term; use separate terms"
type SecurityGroupSelectorTerm struct {
	// Tags a security group must carry; "*" matches any value.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=20
	// +kubebuilder:validation:XValidation:rule="self.all(k, k != '' && self[k] != '')",message="tag keys and values must not be empty; use '*' to match any value"
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
	// ID of a security group, sg-0123456789abcdef0.
	// +kubebuilder:validation:XValidation:rule="self.matches('^sg-[0-9a-z]+$')",message="id must look like sg-0123456789abcdef0"
	// +kubebuilder:validation:MaxLength=64
	// +optional
	ID string `json:"id,omitempty"`
	// Name of a security group (its GroupName).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Name string `json:"name,omitempty"`
}

// AMISelectorTerm selects images by alias, id, name (and owner), tags (and owner), or an SSM parameter.
//
// +kubebuilder:validation:XValidation:rule="has(self.alias) || has(self.id) || has(self.name) || has(self.tags) || has(self.ssmParameter)",message="an AMI selector term needs alias, id, name, tags or ssmParameter"
// +kubebuilder:validation:XValidation:rule="has(self.alias) ? !has(self.id) && !has(self.name) && !has(self.tags) && !has(self.owner) && !has(self.ssmParameter) : true",message="alias is mutually exclusive with id, name, tags, owner and ssmParameter"
// +kubebuilder:validation:XValidation:rule="has(self.id) ? !has(self.name) && !has(self.tags) && !has(self.owner) && !has(self.ssmParameter) : true",message="id is mutually exclusive with name, tags, owner and ssmParameter"
// +kubebuilder:validation:XValidation:rule="has(self.ssmParameter) ? !has(self.name) && !has(self.tags) && !has(self.owner) : true",message="ssmParameter is mutually exclusive with name, tags and owner"
// +kubebuilder:validation:XValidation:rule="has(self.owner) ? has(self.name) || has(self.tags) : true",message="owner narrows a name or tags selector; add name or tags"
type AMISelectorTerm struct {
	// Alias picks the EKS-optimised image of a family at a version: al2023@latest, al2023@v20251112,
	// bottlerocket@latest, bottlerocket@v1.26.2.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(al2023|bottlerocket)@(latest|v[0-9][0-9A-Za-z.-]*)$')",message="alias must be <family>@<version>: family al2023 or bottlerocket, version 'latest' or a release such as v20251112 (al2023) or v1.26.2 (bottlerocket)"
	// +optional
	Alias string `json:"alias,omitempty"`
	// ID of an image, ami-0123456789abcdef0.
	// +kubebuilder:validation:XValidation:rule="self.matches('^ami-[0-9a-z]+$')",message="id must look like ami-0123456789abcdef0"
	// +kubebuilder:validation:MaxLength=64
	// +optional
	ID string `json:"id,omitempty"`
	// Name of an image; "*" is a wildcard.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Name string `json:"name,omitempty"`
	// Owner of the image: an account ID, "self" or "amazon". Default: self and amazon.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{12}|self|amazon|aws-marketplace)$')",message="owner must be a 12-digit account ID, self, amazon or aws-marketplace"
	// +kubebuilder:validation:MaxLength=20
	// +optional
	Owner string `json:"owner,omitempty"`
	// Tags an image must carry; "*" matches any value.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=20
	// +kubebuilder:validation:XValidation:rule="self.all(k, k != '' && self[k] != '')",message="tag keys and values must not be empty; use '*' to match any value"
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
	// SSMParameter names a parameter whose value is an image ID.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	SSMParameter string `json:"ssmParameter,omitempty"`
}

// BlockDeviceMapping attaches an EBS volume.
type BlockDeviceMapping struct {
	// DeviceName, e.g. /dev/xvda.
	// +kubebuilder:validation:XValidation:rule="self.matches('^/dev/[a-z0-9]+$')",message="deviceName must be a device path such as /dev/xvda"
	// +kubebuilder:validation:MaxLength=32
	// +required
	DeviceName string `json:"deviceName"`
	// EBS describes the volume.
	// +required
	EBS *BlockDevice `json:"ebs"`
	// RootVolume marks the volume the kubelet and container images live on; its size is the node's
	// ephemeral-storage capacity.
	// +optional
	RootVolume bool `json:"rootVolume,omitempty"`
}

// BlockDevice is an EBS volume.
//
// +kubebuilder:validation:XValidation:rule="has(self.volumeSize) || has(self.snapshotID)",message="set volumeSize, snapshotID, or both"
// +kubebuilder:validation:XValidation:rule="has(self.throughput) ? self.volumeType == 'gp3' : true",message="throughput can only be set on gp3 volumes"
// +kubebuilder:validation:XValidation:rule="has(self.iops) ? self.volumeType in ['gp3', 'io1', 'io2'] : true",message="iops can only be set on gp3, io1 and io2 volumes"
type BlockDevice struct {
	// VolumeSize, from 1Gi to 64Ti.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="isQuantity(string(self)) && quantity(string(self)).compareTo(quantity('1Gi')) >= 0 && quantity(string(self)).compareTo(quantity('64Ti')) <= 0",message="volumeSize must be between 1Gi and 64Ti, e.g. 100Gi"
	// +optional
	VolumeSize *resource.Quantity `json:"volumeSize,omitempty"`
	// VolumeType: gp3 (default), gp2, io1, io2, sc1, st1 or standard.
	// +kubebuilder:validation:Enum=standard;io1;io2;gp2;sc1;st1;gp3
	// +kubebuilder:default=gp3
	// +optional
	VolumeType string `json:"volumeType,omitempty"`
	// IOPS for gp3 (3000-16000), io1 and io2.
	// +kubebuilder:validation:Minimum=100
	// +kubebuilder:validation:Maximum=256000
	// +optional
	IOPS *int64 `json:"iops,omitempty"`
	// Throughput in MiB/s for gp3 (125-1000).
	// +kubebuilder:validation:Minimum=125
	// +kubebuilder:validation:Maximum=2000
	// +optional
	Throughput *int64 `json:"throughput,omitempty"`
	// Encrypted volumes by default.
	// +kubebuilder:default=true
	// +optional
	Encrypted *bool `json:"encrypted,omitempty"`
	// KMSKeyID encrypts with a customer key instead of the account's default EBS key.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	KMSKeyID *string `json:"kmsKeyID,omitempty"`
	// DeleteOnTermination, true by default, so no volume outlives its node.
	// +kubebuilder:default=true
	// +optional
	DeleteOnTermination *bool `json:"deleteOnTermination,omitempty"`
	// SnapshotID to create the volume from.
	// +kubebuilder:validation:XValidation:rule="self.matches('^snap-[0-9a-z]+$')",message="snapshotID must look like snap-0123456789abcdef0"
	// +kubebuilder:validation:MaxLength=64
	// +optional
	SnapshotID *string `json:"snapshotID,omitempty"`
}

// MetadataOptions configure the instance metadata service (IMDS).
type MetadataOptions struct {
	// HTTPEndpoint enables or disables IMDS.
	// +kubebuilder:validation:Enum=enabled;disabled
	// +kubebuilder:default=enabled
	// +optional
	HTTPEndpoint *string `json:"httpEndpoint,omitempty"`
	// HTTPProtocolIPv6 enables the IPv6 IMDS endpoint.
	// +kubebuilder:validation:Enum=enabled;disabled
	// +kubebuilder:default=disabled
	// +optional
	HTTPProtocolIPv6 *string `json:"httpProtocolIPv6,omitempty"`
	// HTTPPutResponseHopLimit: 1 keeps containers (one hop away) from reaching IMDS.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=64
	// +kubebuilder:default=1
	// +optional
	HTTPPutResponseHopLimit *int64 `json:"httpPutResponseHopLimit,omitempty"`
	// HTTPTokens: required means IMDSv2 only.
	// +kubebuilder:validation:Enum=required;optional
	// +kubebuilder:default=required
	// +optional
	HTTPTokens *string `json:"httpTokens,omitempty"`
}

// KubeletConfiguration is the subset of kubelet settings Stevedore passes to nodes and models when computing
// allocatable resources.
//
// +kubebuilder:validation:XValidation:rule="has(self.evictionSoft) ? has(self.evictionSoftGracePeriod) && self.evictionSoft.all(k, k in self.evictionSoftGracePeriod) : true",message="every evictionSoft signal needs an evictionSoftGracePeriod entry"
// +kubebuilder:validation:XValidation:rule="has(self.evictionSoftGracePeriod) ? has(self.evictionSoft) && self.evictionSoftGracePeriod.all(k, k in self.evictionSoft) : true",message="every evictionSoftGracePeriod entry needs an evictionSoft signal"
// +kubebuilder:validation:XValidation:rule="has(self.imageGCHighThresholdPercent) && has(self.imageGCLowThresholdPercent) ? self.imageGCHighThresholdPercent > self.imageGCLowThresholdPercent : true",message="imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent"
type KubeletConfiguration struct {
	// ClusterDNS are the DNS server IPs pods use.
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="self.all(ip, isIP(ip))",message="clusterDNS entries must be IP addresses such as 10.100.0.10"
	// +listType=atomic
	// +optional
	ClusterDNS []string `json:"clusterDNS,omitempty"`
	// MaxPods overrides the pod density the CNI mode would allow.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	MaxPods *int32 `json:"maxPods,omitempty"`
	// PodsPerCore caps max pods at this many per vCPU; 0 means no cap.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +optional
	PodsPerCore *int32 `json:"podsPerCore,omitempty"`
	// SystemReserved is held back for OS daemons: cpu, memory, ephemeral-storage, pid.
	// +kubebuilder:validation:MaxProperties=4
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['cpu', 'memory', 'ephemeral-storage', 'pid'])",message="systemReserved keys must be cpu, memory, ephemeral-storage or pid"
	// +optional
	SystemReserved map[string]ReservedQuantity `json:"systemReserved,omitempty"`
	// KubeReserved is held back for the kubelet and container runtime; it replaces Stevedore's per-type
	// defaults for the keys it sets.
	// +kubebuilder:validation:MaxProperties=4
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['cpu', 'memory', 'ephemeral-storage', 'pid'])",message="kubeReserved keys must be cpu, memory, ephemeral-storage or pid"
	// +optional
	KubeReserved map[string]ReservedQuantity `json:"kubeReserved,omitempty"`
	// EvictionHard thresholds, as a quantity (memory.available: 500Mi) or a percentage (nodefs.available: 10%).
	// +kubebuilder:validation:MaxProperties=6
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'])",message="evictionHard keys must be memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree or pid.available"
	// +optional
	EvictionHard map[string]EvictionThreshold `json:"evictionHard,omitempty"`
	// EvictionSoft thresholds; each needs a grace period.
	// +kubebuilder:validation:MaxProperties=6
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'])",message="evictionSoft keys must be memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree or pid.available"
	// +optional
	EvictionSoft map[string]EvictionThreshold `json:"evictionSoft,omitempty"`
	// EvictionSoftGracePeriod is how long each soft threshold must hold before pods are evicted.
	// +kubebuilder:validation:MaxProperties=6
	// +optional
	EvictionSoftGracePeriod map[string]GracePeriod `json:"evictionSoftGracePeriod,omitempty"`
	// EvictionMaxPodGracePeriod caps the termination grace period of pods evicted on a soft threshold, in
	// seconds.
	// +kubebuilder:validation:Minimum=0
	// +optional
	EvictionMaxPodGracePeriod *int32 `json:"evictionMaxPodGracePeriod,omitempty"`
	// ImageGCHighThresholdPercent of disk use starts image garbage collection.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	ImageGCHighThresholdPercent *int32 `json:"imageGCHighThresholdPercent,omitempty"`
	// ImageGCLowThresholdPercent of disk use is what image garbage collection frees down to.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	ImageGCLowThresholdPercent *int32 `json:"imageGCLowThresholdPercent,omitempty"`
	// CPUCFSQuota enforces CPU limits with CFS quota.
	// +optional
	CPUCFSQuota *bool `json:"cpuCFSQuota,omitempty"`
}

// EC2NodeClassStatus is what the node class controller resolved from the selectors.
type EC2NodeClassStatus struct {
	// Subnets the selectors matched, with their zones.
	// +listType=atomic
	// +optional
	Subnets []Subnet `json:"subnets,omitempty"`
	// SecurityGroups the selectors matched.
	// +listType=atomic
	// +optional
	SecurityGroups []SecurityGroup `json:"securityGroups,omitempty"`
	// AMIs the selectors matched, each with the requirements (architecture, GPU...) of the instances it fits.
	// +listType=atomic
	// +optional
	AMIs []AMI `json:"amis,omitempty"`
	// InstanceProfile instances launch with.
	// +optional
	InstanceProfile string `json:"instanceProfile,omitempty"`
	// Conditions: SubnetsReady, SecurityGroupsReady, AMIsReady, InstanceProfileReady, ValidationSucceeded, and
	// Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Subnet is a resolved subnet.
type Subnet struct {
	// ID of the subnet.
	// +required
	ID string `json:"id"`
	// Zone of the subnet, e.g. us-east-1a.
	// +required
	Zone string `json:"zone"`
	// ZoneID of the subnet, e.g. use1-az1.
	// +optional
	ZoneID string `json:"zoneID,omitempty"`
}

// SecurityGroup is a resolved security group.
type SecurityGroup struct {
	// ID of the security group.
	// +required
	ID string `json:"id"`
	// Name of the security group.
	// +optional
	Name string `json:"name,omitempty"`
}

// AMI is a resolved image.
type AMI struct {
	// ID of the image.
	// +required
	ID string `json:"id"`
	// Name of the image.
	// +optional
	Name string `json:"name,omitempty"`
	// Deprecated images are used only when nothing newer matches.
	// +optional
	Deprecated bool `json:"deprecated,omitempty"`
	// Requirements an instance must meet to boot the image (architecture, accelerators).
	// +listType=atomic
	// +required
	Requirements []corev1.NodeSelectorRequirement `json:"requirements"`
}

// EC2NodeClass is the AWS-specific description of how nodes launch. NodePools reference it by name.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=ec2nodeclasses,scope=Cluster,categories=stevedore,shortName={ec2nc,ec2ncs}
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=".spec.role",priority=1
// +kubebuilder:printcolumn:name="CNI",type=string,JSONPath=".spec.cniMode",priority=1
type EC2NodeClass struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec EC2NodeClassSpec `json:"spec"`
	// +optional
	Status EC2NodeClassStatus `json:"status,omitempty"`
}

// EC2NodeClassList is a list of EC2NodeClasses.
//
// +kubebuilder:object:root=true
type EC2NodeClassList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EC2NodeClass `json:"items"`
}

// ReservedQuantity is an amount of a resource held back from pods, such as 100m (cpu) or 512Mi (memory).
//
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="isQuantity(self) && !quantity(self).isLessThan(quantity('0'))",message="must be a non-negative quantity such as 100m or 512Mi"
type ReservedQuantity string

// EvictionThreshold is a kubelet eviction threshold: a quantity such as 500Mi or a percentage such as 10%.
//
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="self.matches('^((100|[0-9]{1,2}([.][0-9]+)?)%|[0-9]+([.][0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$')",message="must be a quantity such as 500Mi or a percentage from 0% to 100% such as 10%"
type EvictionThreshold string

// GracePeriod is a kubelet grace period of whole seconds, minutes or hours, such as 30s or 2m.
//
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(s|m|h))+$')",message="must be a duration such as 30s or 2m"
type GracePeriod string
