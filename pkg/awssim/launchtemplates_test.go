package awssim_test

import (
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// templateInput asks for a launch template named name with the given image, tagged pool=pool, that tags its
// instances role=worker.
func templateInput(name, imageID, pool string) *ec2.CreateLaunchTemplateInput {
	return &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &types.RequestLaunchTemplateData{
			ImageId:      aws.String(imageID),
			InstanceType: types.InstanceTypeM5Large,
			UserData:     aws.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho hello\n"))),
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{
				ResourceType: types.ResourceTypeInstance,
				Tags:         []types.Tag{{Key: aws.String("role"), Value: aws.String("worker")}},
			}},
		},
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeLaunchTemplate,
			Tags:         []types.Tag{{Key: aws.String("pool"), Value: aws.String(pool)}},
		}},
	}
}

func TestLaunchTemplateLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	created, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "general"))
	if err != nil {
		t.Fatal(err)
	}
	lt := created.LaunchTemplate
	id := aws.ToString(lt.LaunchTemplateId)
	if len(id) != len("lt-0123456789abcdef0") || aws.ToString(lt.LaunchTemplateName) != "stevedore-general" ||
		aws.ToInt64(lt.LatestVersionNumber) != 1 || !aws.ToTime(lt.CreateTime).Equal(newClock().Now()) ||
		tagValue(lt.Tags, "pool") != "general" {
		t.Fatalf("created %+v; want lt-<17 hex> named stevedore-general, version 1, created now, tagged pool=general", lt)
	}
	if _, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-gpu", "ami-0fedcba9876543210", "gpu")); err != nil {
		t.Fatal(err)
	}

	names := func(in *ec2.DescribeLaunchTemplatesInput) []string {
		t.Helper()
		out, err := e.client.DescribeLaunchTemplates(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, lt := range out.LaunchTemplates {
			got = append(got, aws.ToString(lt.LaunchTemplateName))
		}
		return got
	}
	for _, tc := range []struct {
		name string
		in   *ec2.DescribeLaunchTemplatesInput
		want []string
	}{
		{"all", &ec2.DescribeLaunchTemplatesInput{}, []string{"stevedore-general", "stevedore-gpu"}},
		{"by ID", &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{id}}, []string{"stevedore-general"}},
		{"by name", &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"stevedore-gpu"}}, []string{"stevedore-gpu"}},
		{"by tag", &ec2.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("tag:pool"), Values: []string{"g?u"}}}}, []string{"stevedore-gpu"}},
		{"by name filter", &ec2.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("launch-template-name"), Values: []string{"*general"}}}}, []string{"stevedore-general"}},
	} {
		if got := names(tc.in); !equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}

	_, err = e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "again"))
	if got, want := errorCode(err), "InvalidLaunchTemplateName.AlreadyExistsException"; got != want {
		t.Errorf("duplicate name: error code %q, want %q", got, want)
	}
	deleted, err := e.client.DeleteLaunchTemplate(t.Context(), &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: aws.String(id)})
	if err != nil || aws.ToString(deleted.LaunchTemplate.LaunchTemplateName) != "stevedore-general" {
		t.Fatalf("delete = %+v, %v; want stevedore-general deleted", deleted, err)
	}
	if got, want := names(&ec2.DescribeLaunchTemplatesInput{}), []string{"stevedore-gpu"}; !equal(got, want) {
		t.Errorf("after delete: got %v, want %v", got, want)
	}
	if _, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "again")); err != nil {
		t.Errorf("recreating a deleted name: %v", err)
	}
}

func TestLaunchTemplateErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"describe unknown name", func() error {
			_, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"nope"}})
			return err
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"describe unknown ID", func() error {
			_, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{"lt-0123456789abcdef0"}})
			return err
		}, "InvalidLaunchTemplateId.NotFound"},
		{"describe malformed ID", func() error {
			_, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{"nope"}})
			return err
		}, "InvalidLaunchTemplateId.Malformed"},
		{"delete unknown name", func() error {
			_, err := e.client.DeleteLaunchTemplate(t.Context(), &ec2.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String("nope")})
			return err
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"malformed name", func() error {
			_, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("no spaces", "ami-0123456789abcdef0", "x"))
			return err
		}, "InvalidLaunchTemplateName.MalformedException"},
		{"unknown instance type", func() error {
			in := templateInput("bad-type", "ami-0123456789abcdef0", "x")
			in.LaunchTemplateData.InstanceType = "m5.enormous"
			return must(e.client.CreateLaunchTemplate(t.Context(), in))
		}, "InvalidParameterValue"},
		{"user data not base64", func() error {
			in := templateInput("bad-user-data", "ami-0123456789abcdef0", "x")
			in.LaunchTemplateData.UserData = aws.String("#!/bin/bash")
			return must(e.client.CreateLaunchTemplate(t.Context(), in))
		}, "InvalidUserData.Malformed"},
	} {
		if got := errorCode(tc.call()); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}

// must drops a result, keeping the error.
func must[T any](_ T, err error) error { return err }

func TestCreateFleetUsesLaunchTemplate(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	created, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "general"))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.LaunchTemplate.LaunchTemplateId)
	in := fleetInput(1, types.DefaultTargetCapacityTypeOnDemand, "from-template",
		types.FleetLaunchTemplateOverridesRequest{SubnetId: subnets(t, e)["us-east-1a"].SubnetId})
	in.LaunchTemplateConfigs[0].LaunchTemplateSpecification = &types.FleetLaunchTemplateSpecificationRequest{
		LaunchTemplateId: aws.String(id), Version: aws.String("$Default"),
	}
	out, err := e.client.CreateFleet(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 || out.Instances[0].InstanceType != "m5.large" ||
		aws.ToString(out.Instances[0].LaunchTemplateAndOverrides.LaunchTemplateSpecification.LaunchTemplateName) != "stevedore-general" {
		t.Fatalf("instances = %+v; want one m5.large, the template's type, from stevedore-general", out.Instances)
	}
	described, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: out.Instances[0].InstanceIds})
	if err != nil {
		t.Fatal(err)
	}
	got := described.Reservations[0].Instances[0]
	if aws.ToString(got.ImageId) != "ami-0123456789abcdef0" || tagValue(got.Tags, "role") != "worker" ||
		tagValue(got.Tags, "stevedore.dev/nodeclaim") != "from-template" {
		t.Errorf("instance image %q, tags %+v; want the template's image, its role=worker tag and the fleet's tag",
			aws.ToString(got.ImageId), got.Tags)
	}

	for _, tc := range []struct {
		name string
		spec types.FleetLaunchTemplateSpecificationRequest
		want string
	}{
		{"unknown name", types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateName: aws.String("nope")}, "InvalidLaunchTemplateName.NotFoundException"},
		{"unknown ID", types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String("lt-0123456789abcdef0")}, "InvalidLaunchTemplateId.NotFound"},
		{"unknown version", types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String(id), Version: aws.String("7")}, "InvalidLaunchTemplateId.VersionNotFound"},
	} {
		in.LaunchTemplateConfigs[0].LaunchTemplateSpecification = &tc.spec
		in.ClientToken = nil // the SDK filled in the first call's token; this is a new request
		if got := errorCode(must(e.client.CreateFleet(t.Context(), in))); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}

// fullTemplateData is launch template data using every part the simulator keeps.
func fullTemplateData() *types.RequestLaunchTemplateData {
	return &types.RequestLaunchTemplateData{
		ImageId:            aws.String("ami-0123456789abcdef0"),
		UserData:           aws.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho hello\n"))),
		IamInstanceProfile: &types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("nodes")},
		MetadataOptions: &types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpEndpoint: types.LaunchTemplateInstanceMetadataEndpointStateEnabled, HttpTokens: types.LaunchTemplateHttpTokensStateRequired,
			HttpPutResponseHopLimit: aws.Int32(1),
		},
		BlockDeviceMappings: []types.LaunchTemplateBlockDeviceMappingRequest{{
			DeviceName: aws.String("/dev/xvda"),
			Ebs: &types.LaunchTemplateEbsBlockDeviceRequest{
				VolumeSize: aws.Int32(20), VolumeType: types.VolumeTypeGp3, Encrypted: aws.Bool(true), DeleteOnTermination: aws.Bool(true),
				Iops: aws.Int32(3000), Throughput: aws.Int32(125), KmsKeyId: aws.String("alias/nodes"),
			},
		}},
		Monitoring: &types.LaunchTemplatesMonitoringRequest{Enabled: aws.Bool(true)},
		NetworkInterfaces: []types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{
			DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(true), DeleteOnTermination: aws.Bool(true),
			Groups: []string{"sg-0123456789abcdef0", "sg-0fedcba9876543210"},
		}},
		TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{
			{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}},
			{ResourceType: types.ResourceTypeVolume, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}},
		},
	}
}

func TestDescribeLaunchTemplateVersionsReturnsTheData(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	created, err := e.client.CreateLaunchTemplate(t.Context(), &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("stevedore/test/full"), LaunchTemplateData: fullTemplateData(),
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.LaunchTemplate.LaunchTemplateId)
	for _, in := range []*ec2.DescribeLaunchTemplateVersionsInput{
		{LaunchTemplateName: aws.String("stevedore/test/full"), Versions: []string{"$Latest"}},
		{LaunchTemplateId: aws.String(id), Versions: []string{"$Default", "1"}},
		{LaunchTemplateId: aws.String(id)},
		{Versions: []string{"$Latest"}},
	} {
		out, err := e.client.DescribeLaunchTemplateVersions(t.Context(), in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		if len(out.LaunchTemplateVersions) != 1 {
			t.Fatalf("%+v: %d versions, want 1", in, len(out.LaunchTemplateVersions))
		}
		v := out.LaunchTemplateVersions[0]
		d := v.LaunchTemplateData
		if aws.ToString(v.LaunchTemplateId) != id || aws.ToInt64(v.VersionNumber) != 1 || !aws.ToBool(v.DefaultVersion) {
			t.Errorf("version %+v; want version 1, the default, of %s", v, id)
		}
		ud, _ := base64.StdEncoding.DecodeString(aws.ToString(d.UserData))
		if aws.ToString(d.ImageId) != "ami-0123456789abcdef0" || string(ud) != "#!/bin/bash\necho hello\n" ||
			aws.ToString(d.IamInstanceProfile.Name) != "nodes" || !aws.ToBool(d.Monitoring.Enabled) {
			t.Errorf("image %q, user data %q, profile %+v, monitoring %+v; want what was created",
				aws.ToString(d.ImageId), ud, d.IamInstanceProfile, d.Monitoring)
		}
		if m := d.MetadataOptions; m.HttpTokens != "required" || m.HttpEndpoint != "enabled" || aws.ToInt32(m.HttpPutResponseHopLimit) != 1 {
			t.Errorf("metadata options %+v; want tokens required, endpoint enabled, hop limit 1", m)
		}
		if b := d.BlockDeviceMappings; len(b) != 1 || aws.ToString(b[0].DeviceName) != "/dev/xvda" || aws.ToInt32(b[0].Ebs.VolumeSize) != 20 ||
			b[0].Ebs.VolumeType != "gp3" || !aws.ToBool(b[0].Ebs.Encrypted) || !aws.ToBool(b[0].Ebs.DeleteOnTermination) ||
			aws.ToInt32(b[0].Ebs.Iops) != 3000 || aws.ToInt32(b[0].Ebs.Throughput) != 125 || aws.ToString(b[0].Ebs.KmsKeyId) != "alias/nodes" {
			t.Errorf("block devices %+v; want the 20 GiB encrypted gp3 /dev/xvda", b)
		}
		if n := d.NetworkInterfaces; len(n) != 1 || !aws.ToBool(n[0].AssociatePublicIpAddress) || aws.ToInt32(n[0].DeviceIndex) != 0 ||
			!equal(n[0].Groups, []string{"sg-0123456789abcdef0", "sg-0fedcba9876543210"}) {
			t.Errorf("network interfaces %+v; want one with a public IP and both groups", n)
		}
		if s := d.TagSpecifications; len(s) != 2 || s[0].ResourceType != "instance" || s[1].ResourceType != "volume" || tagValue(s[1].Tags, "team") != "web" {
			t.Errorf("tag specifications %+v; want instance and volume tagged team=web", s)
		}
		if len(d.SecurityGroupIds) != 0 {
			t.Errorf("security group IDs %v; want none outside the interface", d.SecurityGroupIds)
		}
	}

	// Security groups without a network interface come back as securityGroupIdSet.
	plain := &types.RequestLaunchTemplateData{SecurityGroupIds: []string{"sg-0123456789abcdef0"}}
	if _, err := e.client.CreateLaunchTemplate(t.Context(), &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("plain"), LaunchTemplateData: plain}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("plain")})
	if err != nil || !equal(out.LaunchTemplateVersions[0].LaunchTemplateData.SecurityGroupIds, []string{"sg-0123456789abcdef0"}) {
		t.Errorf("plain template: %+v, %v; want its security group", out, err)
	}
	out, err = e.client.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("plain"), MinVersion: aws.String("2")})
	if err != nil || len(out.LaunchTemplateVersions) != 0 {
		t.Errorf("MinVersion 2: %+v, %v; want no versions", out, err)
	}
}

func TestLaunchTemplateDataErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	create := func(name string, change func(*types.RequestLaunchTemplateData)) error {
		d := fullTemplateData()
		change(d)
		return must(e.client.CreateLaunchTemplate(t.Context(), &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name), LaunchTemplateData: d}))
	}
	if err := create("good", func(*types.RequestLaunchTemplateData) {}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"groups on the instance and an interface", func() error {
			return create("both-groups", func(d *types.RequestLaunchTemplateData) { d.SecurityGroupIds = []string{"sg-0123456789abcdef0"} })
		}, "InvalidParameterCombination"},
		{"unknown http tokens", func() error {
			return create("bad-tokens", func(d *types.RequestLaunchTemplateData) { d.MetadataOptions.HttpTokens = "sometimes" })
		}, "InvalidParameterValue"},
		{"hop limit out of range", func() error {
			return create("bad-hops", func(d *types.RequestLaunchTemplateData) { d.MetadataOptions.HttpPutResponseHopLimit = aws.Int32(65) })
		}, "InvalidParameterValue"},
		{"unknown volume type", func() error {
			return create("bad-volume", func(d *types.RequestLaunchTemplateData) { d.BlockDeviceMappings[0].Ebs.VolumeType = "gp9" })
		}, "InvalidParameterValue"},
		{"duplicate device", func() error {
			return create("bad-devices", func(d *types.RequestLaunchTemplateData) {
				d.BlockDeviceMappings = append(d.BlockDeviceMappings, d.BlockDeviceMappings[0])
			})
		}, "InvalidBlockDeviceMapping"},
		{"user data over 16KB", func() error {
			return create("big-user-data", func(d *types.RequestLaunchTemplateData) {
				d.UserData = aws.String(base64.StdEncoding.EncodeToString(make([]byte, 16*1024+1)))
			})
		}, "InvalidParameterValue"},
		{"unknown version", func() error {
			return must(e.client.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("good"), Versions: []string{"2"}}))
		}, "InvalidLaunchTemplateId.VersionNotFound"},
		{"no template named", func() error {
			return must(e.client.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"1"}}))
		}, "MissingParameter"},
		{"unknown template", func() error {
			return must(e.client.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("nope")}))
		}, "InvalidLaunchTemplateName.NotFoundException"},
	} {
		if got := errorCode(tc.call()); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}
