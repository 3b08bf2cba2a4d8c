package crds_test

import (
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestEC2NodeClassIdentity(t *testing.T) {
	runCELCases(t, test.EC2NodeClass(), []celCase{
		{name: "role", patch: `{"spec":{"role":"StevedoreNodeRole"}}`},
		{name: "instance profile", patch: `{"spec":{"role":null,"instanceProfile":"StevedoreNodeProfile"}}`},
		{name: "role and instance profile", patch: `{"spec":{"instanceProfile":"StevedoreNodeProfile"}}`,
			reject: []string{"spec: Invalid value", "set exactly one of spec.role"}},
		{name: "neither role nor instance profile", patch: `{"spec":{"role":null}}`,
			reject: []string{"set exactly one of spec.role", "or spec.instanceProfile"}},
	})
}

func TestEC2NodeClassSelectors(t *testing.T) {
	runCELCases(t, test.EC2NodeClass(), []celCase{
		{name: "subnets by id and by tags", patch: `{"spec":{"subnetSelectorTerms":[{"id":"subnet-0123456789abcdef0"},{"tags":{"Name":"private-*"}}]}}`},
		{name: "subnet terms required", patch: `{"spec":{"subnetSelectorTerms":[]}}`,
			reject: []string{"spec.subnetSelectorTerms", "should have at least 1 items"}},
		{name: "empty subnet term", patch: `{"spec":{"subnetSelectorTerms":[{}]}}`,
			reject: []string{"spec.subnetSelectorTerms[0]", "a subnet selector term needs tags or id"}},
		{name: "subnet id with tags", patch: `{"spec":{"subnetSelectorTerms":[{"id":"subnet-1","tags":{"a":"b"}}]}}`,
			reject: []string{"spec.subnetSelectorTerms[0]", "id and tags are mutually exclusive"}},
		{name: "subnet id format", patch: `{"spec":{"subnetSelectorTerms":[{"id":"sn-123"}]}}`,
			reject: []string{"spec.subnetSelectorTerms[0].id", "id must look like subnet-0123456789abcdef0"}},
		{name: "empty tag value", patch: `{"spec":{"subnetSelectorTerms":[{"tags":{"a":""}}]}}`,
			reject: []string{"spec.subnetSelectorTerms[0].tags", "use '*' to match any value"}},
		{name: "security groups by id, name and tags", patch: `{"spec":{"securityGroupSelectorTerms":[{"id":"sg-0123456789abcdef0"},{"name":"eks-cluster-sg"},{"tags":{"team":"*"}}]}}`},
		{name: "empty security group term", patch: `{"spec":{"securityGroupSelectorTerms":[{}]}}`,
			reject: []string{"spec.securityGroupSelectorTerms[0]", "needs tags, id or name"}},
		{name: "security group id with name", patch: `{"spec":{"securityGroupSelectorTerms":[{"id":"sg-1","name":"x"}]}}`,
			reject: []string{"spec.securityGroupSelectorTerms[0]", "id is mutually exclusive with tags and name"}},
		{name: "security group name with tags", patch: `{"spec":{"securityGroupSelectorTerms":[{"name":"x","tags":{"a":"b"}}]}}`,
			reject: []string{"spec.securityGroupSelectorTerms[0]", "name is mutually exclusive with tags"}},
		{name: "security group id format", patch: `{"spec":{"securityGroupSelectorTerms":[{"id":"group-1"}]}}`,
			reject: []string{"spec.securityGroupSelectorTerms[0].id", "id must look like sg-"}},
		{name: "security group tags", patch: `{"spec":{"securityGroupSelectorTerms":[{"tags":{"":"x"}}]}}`,
			reject: []string{"spec.securityGroupSelectorTerms[0].tags", "must not be empty"}},
	})
}

func TestEC2NodeClassAMIs(t *testing.T) {
	runCELCases(t, test.EC2NodeClass(), []celCase{
		{name: "bottlerocket pinned alias", patch: `{"spec":{"amiSelectorTerms":[{"alias":"bottlerocket@v1.26.2"}]}}`},
		{name: "ids with a family", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{"id":"ami-0123456789abcdef0"},{"name":"my-al2023-*","owner":"123456789012"},{"tags":{"team":"platform"},"owner":"self"},{"ssmParameter":"/my/ami"}]}}`},
		{name: "alias format", patch: `{"spec":{"amiSelectorTerms":[{"alias":"ubuntu@latest"}]}}`,
			reject: []string{"spec.amiSelectorTerms[0].alias", "alias must be <family>@<version>"}},
		{name: "alias with a family", patch: `{"spec":{"amiFamily":"AL2023"}}`,
			reject: []string{"spec: Invalid value", "omit it with an alias"}},
		{name: "id without a family", patch: `{"spec":{"amiSelectorTerms":[{"id":"ami-0123456789abcdef0"}]}}`,
			reject: []string{"set spec.amiFamily (AL2023, Bottlerocket or Custom)"}},
		{name: "unknown family", patch: `{"spec":{"amiFamily":"Windows2022","amiSelectorTerms":[{"id":"ami-1"}]}}`,
			reject: []string{"spec.amiFamily", "supported values"}},
		{name: "alias with other terms", patch: `{"spec":{"amiSelectorTerms":[{"alias":"al2023@latest"},{"id":"ami-1"}]}}`,
			reject: []string{"spec.amiSelectorTerms", "an amiSelectorTerms alias must be the only term"}},
		{name: "empty AMI term", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{}]}}`,
			reject: []string{"spec.amiSelectorTerms[0]", "needs alias, id, name, tags or ssmParameter"}},
		{name: "alias with id", patch: `{"spec":{"amiSelectorTerms":[{"alias":"al2023@latest","id":"ami-1"}]}}`,
			reject: []string{"spec.amiSelectorTerms[0]", "alias is mutually exclusive"}},
		{name: "id with name", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{"id":"ami-1","name":"x"}]}}`,
			reject: []string{"spec.amiSelectorTerms[0]", "id is mutually exclusive"}},
		{name: "ssmParameter with tags", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{"ssmParameter":"/x","tags":{"a":"b"}}]}}`,
			reject: []string{"spec.amiSelectorTerms[0]", "ssmParameter is mutually exclusive"}},
		{name: "owner alone", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{"owner":"amazon"}]}}`,
			reject: []string{"spec.amiSelectorTerms[0]", "owner narrows a name or tags selector"}},
		{name: "owner format", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{"name":"x","owner":"someone"}]}}`,
			reject: []string{"spec.amiSelectorTerms[0].owner", "12-digit account ID, self, amazon or aws-marketplace"}},
		{name: "AMI id format", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{"id":"image-1"}]}}`,
			reject: []string{"spec.amiSelectorTerms[0].id", "id must look like ami-"}},
		{name: "AMI tags", patch: `{"spec":{"amiFamily":"AL2023","amiSelectorTerms":[{"tags":{"a":""}}]}}`,
			reject: []string{"spec.amiSelectorTerms[0].tags", "must not be empty"}},
	})
}

func TestEC2NodeClassTags(t *testing.T) {
	runCELCases(t, test.EC2NodeClass(), []celCase{
		{name: "custom tags", patch: `{"spec":{"tags":{"team":"platform","cost-center":"1234"}}}`},
		{name: "ownership tag", patch: `{"spec":{"tags":{"stevedore.dev/nodepool":"other"}}}`,
			reject: []string{"spec.tags", `tag "stevedore.dev/nodepool" is set by Stevedore to track ownership`}},
		{name: "cluster ownership tag", patch: `{"spec":{"tags":{"kubernetes.io/cluster/prod":"owned"}}}`,
			reject: []string{"spec.tags", `tag "kubernetes.io/cluster/prod" is set by Stevedore`}},
		{name: "aws prefix", patch: `{"spec":{"tags":{"aws:cloudformation:stack-name":"x"}}}`,
			reject: []string{"spec.tags", "tag keys starting with 'aws:' are reserved by AWS"}},
		{name: "tag key too long", patch: `{"spec":{"tags":{"` + longString(129) + `":"x"}}}`,
			reject: []string{"spec.tags", "tag keys must be 1 to 128 characters and values at most 256"}},
	})
}

func TestEC2NodeClassBlockDevices(t *testing.T) {
	bdm := func(items string) string { return `{"spec":{"blockDeviceMappings":[` + items + `]}}` }
	runCELCases(t, test.EC2NodeClass(), []celCase{
		{name: "root and data volumes", patch: bdm(`
			{"deviceName":"/dev/xvda","rootVolume":true,"ebs":{"volumeSize":"100Gi","volumeType":"gp3","iops":4000,"throughput":250}},
			{"deviceName":"/dev/xvdb","ebs":{"snapshotID":"snap-0123456789abcdef0","volumeType":"io2","iops":10000}}`)},
		{name: "two root volumes", patch: bdm(`
			{"deviceName":"/dev/xvda","rootVolume":true,"ebs":{"volumeSize":"20Gi"}},
			{"deviceName":"/dev/xvdb","rootVolume":true,"ebs":{"volumeSize":"20Gi"}}`),
			reject: []string{"spec.blockDeviceMappings", "at most one block device mapping may be the rootVolume"}},
		{name: "duplicate device", patch: bdm(`
			{"deviceName":"/dev/xvda","ebs":{"volumeSize":"20Gi"}},
			{"deviceName":"/dev/xvda","ebs":{"volumeSize":"30Gi"}}`),
			reject: []string{"spec.blockDeviceMappings", "each deviceName may appear only once"}},
		{name: "device name", patch: bdm(`{"deviceName":"xvda","ebs":{"volumeSize":"20Gi"}}`),
			reject: []string{"spec.blockDeviceMappings[0].deviceName", "deviceName must be a device path such as /dev/xvda"}},
		{name: "volume too small", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"volumeSize":"512Mi"}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs.volumeSize", "volumeSize must be between 1Gi and 64Ti"}},
		{name: "volume too large", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"volumeSize":"65Ti"}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs.volumeSize", "between 1Gi and 64Ti"}},
		{name: "volume size not a quantity", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"volumeSize":"big"}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs.volumeSize", "between 1Gi and 64Ti"}},
		{name: "volume size without a unit", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"volumeSize":100}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs.volumeSize", "volumeSize must be between 1Gi and 64Ti, e.g. 100Gi"}},
		{name: "no size or snapshot", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"volumeType":"gp3"}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs", "set volumeSize, snapshotID, or both"}},
		{name: "throughput on gp2", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"volumeSize":"20Gi","volumeType":"gp2","throughput":250}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs", "throughput can only be set on gp3 volumes"}},
		{name: "iops on st1", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"volumeSize":"200Gi","volumeType":"st1","iops":3000}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs", "iops can only be set on gp3, io1 and io2 volumes"}},
		{name: "snapshot id", patch: bdm(`{"deviceName":"/dev/xvda","ebs":{"snapshotID":"snapshot-1"}}`),
			reject: []string{"spec.blockDeviceMappings[0].ebs.snapshotID", "snapshotID must look like snap-"}},
	})
}

func TestEC2NodeClassKubelet(t *testing.T) {
	kubelet := func(k string) string { return `{"spec":{"kubelet":` + k + `}}` }
	runCELCases(t, test.EC2NodeClass(), []celCase{
		{name: "full kubelet configuration", patch: kubelet(`{
			"clusterDNS":["10.100.0.10","fd00::a"],"maxPods":110,"podsPerCore":10,
			"systemReserved":{"cpu":"100m","memory":"100Mi"},"kubeReserved":{"cpu":"200m","ephemeral-storage":"1Gi"},
			"evictionHard":{"memory.available":"5%","nodefs.available":"10%"},
			"evictionSoft":{"memory.available":"500Mi"},"evictionSoftGracePeriod":{"memory.available":"1m30s"},
			"imageGCHighThresholdPercent":85,"imageGCLowThresholdPercent":80}`)},
		{name: "cluster DNS must be IPs", patch: kubelet(`{"clusterDNS":["kube-dns"]}`),
			reject: []string{"spec.kubelet.clusterDNS", "clusterDNS entries must be IP addresses"}},
		{name: "reserved key", patch: kubelet(`{"systemReserved":{"nvidia.com/gpu":"1"}}`),
			reject: []string{"spec.kubelet.systemReserved", "systemReserved keys must be cpu, memory, ephemeral-storage or pid"}},
		{name: "reserved quantity", patch: kubelet(`{"kubeReserved":{"memory":"lots"}}`),
			reject: []string{"spec.kubelet.kubeReserved[memory]", "must be a non-negative quantity"}},
		{name: "negative reserved quantity", patch: kubelet(`{"kubeReserved":{"cpu":"-100m"}}`),
			reject: []string{"spec.kubelet.kubeReserved[cpu]", "must be a non-negative quantity"}},
		{name: "eviction signal", patch: kubelet(`{"evictionHard":{"memory.free":"100Mi"}}`),
			reject: []string{"spec.kubelet.evictionHard", "evictionHard keys must be memory.available"}},
		{name: "soft eviction signal", patch: kubelet(`{"evictionSoft":{"memory":"1Gi"},"evictionSoftGracePeriod":{"memory":"1m"}}`),
			reject: []string{"spec.kubelet.evictionSoft", "evictionSoft keys must be memory.available"}},
		{name: "kube reserved key", patch: kubelet(`{"kubeReserved":{"gpu":"1"}}`),
			reject: []string{"spec.kubelet.kubeReserved", "kubeReserved keys must be cpu, memory, ephemeral-storage or pid"}},
		{name: "eviction threshold", patch: kubelet(`{"evictionHard":{"memory.available":"120%"}}`),
			reject: []string{"spec.kubelet.evictionHard[memory.available]", "must be a quantity such as 500Mi or a percentage"}},
		{name: "soft eviction without grace period", patch: kubelet(`{"evictionSoft":{"memory.available":"500Mi"}}`),
			reject: []string{"spec.kubelet", "every evictionSoft signal needs an evictionSoftGracePeriod entry"}},
		{name: "grace period without soft eviction", patch: kubelet(`{"evictionSoftGracePeriod":{"memory.available":"1m"}}`),
			reject: []string{"spec.kubelet", "every evictionSoftGracePeriod entry needs an evictionSoft signal"}},
		{name: "grace period format", patch: kubelet(`{"evictionSoft":{"memory.available":"500Mi"},"evictionSoftGracePeriod":{"memory.available":"a minute"}}`),
			reject: []string{"spec.kubelet.evictionSoftGracePeriod[memory.available]", "must be a duration such as 30s or 2m"}},
		{name: "image GC thresholds", patch: kubelet(`{"imageGCHighThresholdPercent":50,"imageGCLowThresholdPercent":60}`),
			reject: []string{"spec.kubelet", "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent"}},
		{name: "maxPods range", patch: kubelet(`{"maxPods":0}`),
			reject: []string{"spec.kubelet.maxPods", "should be greater than or equal to 1"}},
	})
}

func TestEC2NodeClassNetworking(t *testing.T) {
	runCELCases(t, test.EC2NodeClass(), []celCase{
		{name: "prefix delegation with reserved ENIs", patch: `{"spec":{"cniMode":"prefix-delegation","reservedENIs":1}}`},
		{name: "unknown CNI mode", patch: `{"spec":{"cniMode":"calico"}}`,
			reject: []string{"spec.cniMode", `supported values: "secondary-ip", "prefix-delegation", "custom-networking"`}},
		{name: "too many reserved ENIs", patch: `{"spec":{"reservedENIs":16}}`,
			reject: []string{"spec.reservedENIs", "should be less than or equal to 15"}},
		{name: "allocation strategies", patch: `{"spec":{"allocationStrategy":{"spot":"capacity-optimized","onDemand":"prioritized"}}}`},
		{name: "unknown spot strategy", patch: `{"spec":{"allocationStrategy":{"spot":"diversified"}}}`,
			reject: []string{"spec.allocationStrategy.spot", `supported values: "price-capacity-optimized", "capacity-optimized", "capacity-optimized-prioritized", "lowest-price"`}},
		{name: "unknown on-demand strategy", patch: `{"spec":{"allocationStrategy":{"onDemand":"capacity-optimized"}}}`,
			reject: []string{"spec.allocationStrategy.onDemand", `supported values: "lowest-price", "prioritized"`}},
		{name: "IMDSv1", patch: `{"spec":{"metadataOptions":{"httpTokens":"optional","httpPutResponseHopLimit":2}}}`},
		{name: "metadata tokens", patch: `{"spec":{"metadataOptions":{"httpTokens":"sometimes"}}}`,
			reject: []string{"spec.metadataOptions.httpTokens", `supported values: "required", "optional"`}},
	})
}

func TestEC2NodeClassUpdates(t *testing.T) {
	runUpdateCases(t, test.EC2NodeClass(), []celCase{
		{name: "role may change", patch: `{"spec":{"role":"AnotherRole"}}`},
		{name: "role cannot become an instance profile", patch: `{"spec":{"role":null,"instanceProfile":"Profile"}}`,
			reject: []string{"spec.role cannot be replaced by spec.instanceProfile"}},
	})
	ipBase := test.EC2NodeClass()
	ipBase.Spec.Role, ipBase.Spec.InstanceProfile = "", new("Profile")
	runUpdateCases(t, ipBase, []celCase{
		{name: "instance profile cannot become a role", patch: `{"spec":{"role":"Role","instanceProfile":null}}`,
			reject: []string{"spec.instanceProfile cannot be replaced by spec.role"}},
	})
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'k'
	}
	return string(b)
}
