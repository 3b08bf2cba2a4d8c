package v1

// Labels Stevedore puts on nodes from the facts of their EC2 instance type. A NodePool may constrain any of
// them in its requirements; a value the instance type lacks means the label is absent (DoesNotExist), so Gt
// and Lt behave.
const (
	LabelInstanceCategory        = Group + "/instance-category"
	LabelInstanceFamily          = Group + "/instance-family"
	LabelInstanceGeneration      = Group + "/instance-generation"
	LabelInstanceSize            = Group + "/instance-size"
	LabelInstanceCPU             = Group + "/instance-cpu"
	LabelInstanceCPUManufacturer = Group + "/instance-cpu-manufacturer"
	LabelInstanceMemory          = Group + "/instance-memory"
	LabelInstanceGPUName         = Group + "/instance-gpu-name"
	LabelInstanceGPUManufacturer = Group + "/instance-gpu-manufacturer"
	LabelInstanceGPUCount        = Group + "/instance-gpu-count"
	LabelInstanceGPUMemory       = Group + "/instance-gpu-memory"
	LabelInstanceAcceleratorName = Group + "/instance-accelerator-name"
	LabelInstanceAcceleratorMfr  = Group + "/instance-accelerator-manufacturer"
	LabelInstanceAcceleratorCnt  = Group + "/instance-accelerator-count"
	LabelInstanceNetworkBW       = Group + "/instance-network-bandwidth"
	LabelInstanceEBSBandwidth    = Group + "/instance-ebs-bandwidth"
	LabelInstanceHypervisor      = Group + "/instance-hypervisor"
	LabelInstanceLocalNVMe       = Group + "/instance-local-nvme"
)

// Tags Stevedore puts on every resource it creates and uses to find them again; users may not set them.
const (
	TagCluster      = "stevedore.dev/cluster"
	TagNodePool     = "stevedore.dev/nodepool"
	TagNodeClaim    = "stevedore.dev/nodeclaim"
	TagEC2NodeClass = Group + "/ec2nodeclass"
)
