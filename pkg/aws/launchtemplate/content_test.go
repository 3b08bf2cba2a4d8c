package launchtemplate_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/apimachinery/pkg/api/resource"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/launchtemplate"
)

var namePattern = regexp.MustCompile(`^stevedore/test/[0-9a-f]{16}$`)

func TestAL2023Content(t *testing.T) {
	e := start(t)
	name, err := e.provider(launchtemplate.Options{}).Ensure(t.Context(), spec(nodeClass("default", nil), 29))
	if err != nil {
		t.Fatal(err)
	}
	if !namePattern.MatchString(name) {
		t.Errorf("name %q; want stevedore/test/<16 hex digits>", name)
	}
	d, ud := e.version(t, name)
	for _, want := range []string{"kind: NodeConfig", "maxPods: 29", "stevedore.dev/capacity-type=on-demand", "stevedore.dev/nodepool=default",
		"key: stevedore.dev/unregistered", "effect: NoExecute", "cpu: 70m", "apiServerEndpoint: https://test.eks.example"} {
		if !strings.Contains(ud, want) {
			t.Errorf("user data lacks %q:\n%s", want, ud)
		}
	}
	if aws.ToString(d.ImageId) != image || aws.ToString(d.IamInstanceProfile.Name) != instanceProfile ||
		len(d.SecurityGroupIds) != 1 || d.SecurityGroupIds[0] != securityGroup || len(d.NetworkInterfaces) != 0 || d.Monitoring != nil {
		t.Errorf("image %q, profile %+v, groups %v, interfaces %+v, monitoring %+v; want the resolved image, profile and group, no interface, default monitoring",
			aws.ToString(d.ImageId), d.IamInstanceProfile, d.SecurityGroupIds, d.NetworkInterfaces, d.Monitoring)
	}
	if m := d.MetadataOptions; m == nil || m.HttpTokens != ec2types.LaunchTemplateHttpTokensStateRequired ||
		aws.ToInt32(m.HttpPutResponseHopLimit) != 1 || m.HttpEndpoint != ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled {
		t.Errorf("metadata options %+v; want IMDSv2 required, hop limit 1, endpoint enabled", m)
	}
	expectVolumes(t, d.BlockDeviceMappings, volume{"/dev/xvda", awsv1.DefaultRootVolumeSizeGiB})
	if len(d.TagSpecifications) != 3 {
		t.Errorf("tag specifications %+v; want instance, volume and network-interface", d.TagSpecifications)
	}
	for i, rt := range []ec2types.ResourceType{ec2types.ResourceTypeInstance, ec2types.ResourceTypeVolume, ec2types.ResourceTypeNetworkInterface} {
		if i < len(d.TagSpecifications) && (d.TagSpecifications[i].ResourceType != rt || tagValue(d.TagSpecifications[i].Tags, "team") != "web") {
			t.Errorf("tag specification %d is %+v; want %s tagged team=web", i, d.TagSpecifications[i], rt)
		}
	}
	out, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	tags := out.LaunchTemplates[0].Tags
	if tagValue(tags, awsv1.TagCluster) != "test" || tagValue(tags, awsv1.TagEC2NodeClass) != "default" || tagValue(tags, "team") != "web" {
		t.Errorf("template tags %+v; want the cluster, the node class and team=web", tags)
	}
}

func TestBottlerocketContent(t *testing.T) {
	e := start(t)
	s := spec(nodeClass("default", nil), 58)
	s.Family = awsv1.AMIFamilyBottlerocket
	name, err := e.provider(launchtemplate.Options{}).Ensure(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	d, ud := e.version(t, name)
	for _, want := range []string{"[settings.kubernetes]", "max-pods = 58", `"stevedore.dev/capacity-type" = "on-demand"`,
		`"stevedore.dev/unregistered" = [":NoExecute"]`, "[settings.kubernetes.kube-reserved]"} {
		if !strings.Contains(ud, want) {
			t.Errorf("user data lacks %q:\n%s", want, ud)
		}
	}
	if m := d.MetadataOptions; m == nil || m.HttpTokens != ec2types.LaunchTemplateHttpTokensStateRequired {
		t.Errorf("metadata options %+v; want IMDSv2 required", m)
	}
	// The OS volume is small; the data volume holds images and pods.
	expectVolumes(t, d.BlockDeviceMappings, volume{"/dev/xvda", 4}, volume{"/dev/xvdb", awsv1.DefaultRootVolumeSizeGiB})
}

func TestNodeClassSettingsOverrideDefaults(t *testing.T) {
	e := start(t)
	nc := nodeClass("tuned", func(s *awsv1.EC2NodeClassSpec) {
		s.MetadataOptions = &awsv1.MetadataOptions{HTTPPutResponseHopLimit: aws.Int64(2), HTTPTokens: aws.String("optional")}
		size := resource.MustParse("100Gi")
		s.BlockDeviceMappings = []awsv1.BlockDeviceMapping{{DeviceName: "/dev/xvda", RootVolume: true, EBS: &awsv1.BlockDevice{
			VolumeSize: &size, VolumeType: "io2", IOPS: aws.Int64(4000), Encrypted: aws.Bool(false), KMSKeyID: aws.String("alias/nodes"),
		}}}
		s.DetailedMonitoring = aws.Bool(true)
		s.AssociatePublicIPAddress = aws.Bool(true)
		s.UserData = aws.String("#!/bin/bash\necho custom\n")
		s.Tags = nil
	})
	s := spec(nc, 29)
	s.Family = awsv1.AMIFamilyCustom
	name, err := e.provider(launchtemplate.Options{}).Ensure(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	d, ud := e.version(t, name)
	if ud != "#!/bin/bash\necho custom\n" {
		t.Errorf("user data %q; want spec.userData verbatim for the Custom family", ud)
	}
	if m := d.MetadataOptions; m.HttpTokens != "optional" || aws.ToInt32(m.HttpPutResponseHopLimit) != 2 || m.HttpEndpoint != "enabled" {
		t.Errorf("metadata options %+v; want the node class's tokens and hop limit, the default endpoint", m)
	}
	b := d.BlockDeviceMappings
	if len(b) != 1 || aws.ToInt32(b[0].Ebs.VolumeSize) != 100 || b[0].Ebs.VolumeType != "io2" || aws.ToInt32(b[0].Ebs.Iops) != 4000 ||
		aws.ToBool(b[0].Ebs.Encrypted) || !aws.ToBool(b[0].Ebs.DeleteOnTermination) || aws.ToString(b[0].Ebs.KmsKeyId) != "alias/nodes" {
		t.Errorf("block devices %+v; want the node class's 100 GiB io2 volume, deleted on termination", b)
	}
	if d.Monitoring == nil || !aws.ToBool(d.Monitoring.Enabled) {
		t.Errorf("monitoring %+v; want detailed monitoring", d.Monitoring)
	}
	// With a public IP the groups move to the interface: EC2 refuses them in both places.
	n := d.NetworkInterfaces
	if len(n) != 1 || !aws.ToBool(n[0].AssociatePublicIpAddress) || len(n[0].Groups) != 1 || n[0].Groups[0] != securityGroup || len(d.SecurityGroupIds) != 0 {
		t.Errorf("interfaces %+v, instance groups %v; want one interface with a public IP carrying the groups", n, d.SecurityGroupIds)
	}
	if len(d.TagSpecifications) != 0 {
		t.Errorf("tag specifications %+v; want none without tags", d.TagSpecifications)
	}
}

type volume struct {
	device  string
	sizeGiB int32
}

// expectVolumes checks that the template has exactly the given encrypted gp3 volumes, deleted with the instance.
func expectVolumes(t *testing.T, got []ec2types.LaunchTemplateBlockDeviceMapping, want ...volume) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("block devices %+v; want %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if aws.ToString(g.DeviceName) != w.device || g.Ebs == nil || aws.ToInt32(g.Ebs.VolumeSize) != w.sizeGiB ||
			g.Ebs.VolumeType != ec2types.VolumeTypeGp3 || !aws.ToBool(g.Ebs.Encrypted) || !aws.ToBool(g.Ebs.DeleteOnTermination) {
			t.Errorf("block device %d: %s %+v; want an encrypted gp3 %s of %d GiB deleted on termination", i, aws.ToString(g.DeviceName), g.Ebs, w.device, w.sizeGiB)
		}
	}
}
