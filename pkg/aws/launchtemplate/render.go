package launchtemplate

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/userdata"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// NamePrefix starts the name of every launch template this package makes; the cluster name, a slash and 16 hex
// digits of a hash of the content follow it.
const NamePrefix = "stevedore/"

// bottlerocketOSVolumeGiB is the size of Bottlerocket's OS volume; its data volume, on /dev/xvdb, holds images
// and pods and gets the node class's root volume size.
const bottlerocketOSVolumeGiB = 4

// unsafeNameChars are the characters EC2 refuses in launch template names.
var unsafeNameChars = regexp.MustCompile(`[^a-zA-Z0-9()./_-]`)

// Spec is everything one launch template is made from.
type Spec struct {
	// NodeClass supplies the security groups and instance profile (from its status) and the block devices,
	// metadata options, monitoring, public IP setting and tags (from its spec).
	NodeClass *awsv1.EC2NodeClass
	// ImageID is the image instances boot.
	ImageID string
	// Family is how the image bootstraps: awsv1.AMIFamilyAL2023, AMIFamilyBottlerocket or AMIFamilyCustom. The
	// node class's spec.amiFamily when empty.
	Family string
	// Node is what the user data joins the cluster with: cluster, max pods, reserved resources, labels and
	// taints. Node.Custom defaults to the node class's spec.userData.
	Node userdata.Node
}

// UserDataError means a node class's user data cannot be rendered or is too large for EC2. Only the
// EC2NodeClass's owner can fix it, so callers report it as a status condition rather than retrying.
type UserDataError struct {
	// NodeClass is the name of the EC2NodeClass.
	NodeClass string
	// Err says what is wrong.
	Err error
}

// Error says which node class's user data is wrong, and why.
func (e *UserDataError) Error() string {
	return fmt.Sprintf("rendering user data of EC2NodeClass %s: %v", e.NodeClass, e.Err)
}

// Unwrap returns the cause.
func (e *UserDataError) Unwrap() error { return e.Err }

// IsUserDataError reports whether err is or wraps a UserDataError.
func IsUserDataError(err error) bool {
	var e *UserDataError
	return errors.As(err, &e)
}

// content is a rendered launch template: its data and its own tags.
type content struct {
	Data *ec2types.RequestLaunchTemplateData
	Tags []ec2types.Tag
}

// hash is 16 hex digits of a SHA-256 of the content. The content includes the cluster and node class tags, so
// two clusters whose names differ only in characters EC2 refuses in names still get distinct templates.
func (c content) hash() (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("hashing launch template content: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// render turns a spec into the content of its launch template.
func render(cluster string, s Spec) (content, error) {
	nc := s.NodeClass
	if nc == nil {
		return content{}, errors.New("rendering a launch template: no node class")
	}
	var notReady []error
	if s.ImageID == "" {
		notReady = append(notReady, errors.New("no image resolved"))
	}
	if len(nc.Status.SecurityGroups) == 0 {
		notReady = append(notReady, errors.New("no security groups resolved"))
	}
	if nc.Status.InstanceProfile == "" {
		notReady = append(notReady, errors.New("no instance profile resolved"))
	}
	if err := errors.Join(notReady...); err != nil {
		return content{}, cloudprovider.NewNodeClassNotReadyError(fmt.Errorf("EC2NodeClass %s: %w", nc.Name, err))
	}
	family := s.Family
	if family == "" && nc.Spec.AMIFamily != nil {
		family = *nc.Spec.AMIFamily
	}
	ud, err := renderUserData(family, s.Node, nc)
	if err != nil {
		return content{}, err
	}
	groups := make([]string, len(nc.Status.SecurityGroups))
	for i, g := range nc.Status.SecurityGroups {
		groups[i] = g.ID
	}
	data := &ec2types.RequestLaunchTemplateData{
		ImageId:             aws.String(s.ImageID),
		IamInstanceProfile:  &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String(nc.Status.InstanceProfile)},
		MetadataOptions:     metadataOptions(nc.Spec.MetadataOptions),
		BlockDeviceMappings: blockDevices(family, nc.Spec.BlockDeviceMappings),
		TagSpecifications:   tagSpecifications(nc.Spec.Tags),
	}
	if ud != "" {
		data.UserData = aws.String(base64.StdEncoding.EncodeToString([]byte(ud)))
	}
	if nc.Spec.DetailedMonitoring != nil {
		data.Monitoring = &ec2types.LaunchTemplatesMonitoringRequest{Enabled: nc.Spec.DetailedMonitoring}
	}
	if nc.Spec.AssociatePublicIPAddress != nil {
		// EC2 refuses security groups on both the instance and an interface, so they move to the interface.
		data.NetworkInterfaces = []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{
			DeviceIndex:              aws.Int32(0),
			AssociatePublicIpAddress: nc.Spec.AssociatePublicIPAddress,
			DeleteOnTermination:      aws.Bool(true),
			Groups:                   groups,
		}}
	} else {
		data.SecurityGroupIds = groups
	}
	own := maps.Clone(nc.Spec.Tags)
	if own == nil {
		own = map[string]string{}
	}
	own[awsv1.TagCluster] = cluster
	own[awsv1.TagEC2NodeClass] = nc.Name
	return content{Data: data, Tags: sortedTags(own)}, nil
}

// renderUserData renders the family's bootstrap user data, before base64 encoding.
func renderUserData(family string, n userdata.Node, nc *awsv1.EC2NodeClass) (string, error) {
	if n.Custom == "" && nc.Spec.UserData != nil {
		n.Custom = *nc.Spec.UserData
	}
	var ud string
	var err error
	switch family {
	case awsv1.AMIFamilyAL2023:
		ud, err = userdata.AL2023(n)
	case awsv1.AMIFamilyBottlerocket:
		ud, err = userdata.Bottlerocket(n)
	case awsv1.AMIFamilyCustom:
		// Custom images bootstrap themselves: the user's data goes through untouched.
		ud = n.Custom
		if len(ud) > userdata.MaxSize {
			err = fmt.Errorf("user data is %d bytes, more than the %d EC2 accepts; shorten spec.userData", len(ud), userdata.MaxSize)
		}
	default:
		return "", fmt.Errorf("EC2NodeClass %s: unknown AMI family %q", nc.Name, family)
	}
	if err != nil {
		return "", &UserDataError{NodeClass: nc.Name, Err: err}
	}
	return ud, nil
}

// metadataOptions keeps pods away from the node's credentials unless the node class says otherwise: IMDSv2
// tokens required and a hop limit of 1, so containers one network hop away cannot reach IMDS.
func metadataOptions(m *awsv1.MetadataOptions) *ec2types.LaunchTemplateInstanceMetadataOptionsRequest {
	out := &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
		HttpEndpoint:            ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled,
		HttpTokens:              ec2types.LaunchTemplateHttpTokensStateRequired,
		HttpPutResponseHopLimit: aws.Int32(1),
	}
	if m == nil {
		return out
	}
	if m.HTTPEndpoint != nil {
		out.HttpEndpoint = ec2types.LaunchTemplateInstanceMetadataEndpointState(*m.HTTPEndpoint)
	}
	if m.HTTPTokens != nil {
		out.HttpTokens = ec2types.LaunchTemplateHttpTokensState(*m.HTTPTokens)
	}
	if m.HTTPPutResponseHopLimit != nil {
		out.HttpPutResponseHopLimit = aws.Int32(int32(*m.HTTPPutResponseHopLimit))
	}
	if m.HTTPProtocolIPv6 != nil {
		out.HttpProtocolIpv6 = ec2types.LaunchTemplateInstanceMetadataProtocolIpv6(*m.HTTPProtocolIPv6)
	}
	return out
}

// blockDevices are the node class's volumes, or by default one encrypted gp3 root volume; Bottlerocket keeps
// its OS on a small /dev/xvda and everything else on /dev/xvdb.
func blockDevices(family string, mappings []awsv1.BlockDeviceMapping) []ec2types.LaunchTemplateBlockDeviceMappingRequest {
	if len(mappings) == 0 {
		if family == awsv1.AMIFamilyBottlerocket {
			return []ec2types.LaunchTemplateBlockDeviceMappingRequest{ebs("/dev/xvda", bottlerocketOSVolumeGiB), ebs("/dev/xvdb", awsv1.DefaultRootVolumeSizeGiB)}
		}
		return []ec2types.LaunchTemplateBlockDeviceMappingRequest{ebs("/dev/xvda", awsv1.DefaultRootVolumeSizeGiB)}
	}
	out := make([]ec2types.LaunchTemplateBlockDeviceMappingRequest, 0, len(mappings))
	for _, m := range mappings {
		b := ebs(m.DeviceName, 0)
		if d := m.EBS; d != nil {
			e := b.Ebs
			e.VolumeSize = nil
			if d.VolumeSize != nil {
				// EC2 sizes volumes in whole GiB; round up so the volume is never smaller than asked.
				e.VolumeSize = aws.Int32(int32((d.VolumeSize.Value() + 1<<30 - 1) >> 30))
			}
			if d.VolumeType != "" {
				e.VolumeType = ec2types.VolumeType(d.VolumeType)
			}
			if d.Encrypted != nil {
				e.Encrypted = d.Encrypted
			}
			if d.DeleteOnTermination != nil {
				e.DeleteOnTermination = d.DeleteOnTermination
			}
			if d.IOPS != nil {
				e.Iops = aws.Int32(int32(*d.IOPS))
			}
			if d.Throughput != nil {
				e.Throughput = aws.Int32(int32(*d.Throughput))
			}
			e.KmsKeyId, e.SnapshotId = d.KMSKeyID, d.SnapshotID
		}
		out = append(out, b)
	}
	return out
}

// ebs is an encrypted gp3 volume of sizeGiB on device that goes away with its instance.
func ebs(device string, sizeGiB int32) ec2types.LaunchTemplateBlockDeviceMappingRequest {
	return ec2types.LaunchTemplateBlockDeviceMappingRequest{
		DeviceName: aws.String(device),
		Ebs: &ec2types.LaunchTemplateEbsBlockDeviceRequest{
			VolumeSize:          aws.Int32(sizeGiB),
			VolumeType:          ec2types.VolumeTypeGp3,
			Encrypted:           aws.Bool(true),
			DeleteOnTermination: aws.Bool(true),
		},
	}
}

// tagSpecifications give instances, their volumes and their network interfaces the node class's tags.
func tagSpecifications(tags map[string]string) []ec2types.LaunchTemplateTagSpecificationRequest {
	if len(tags) == 0 {
		return nil
	}
	var out []ec2types.LaunchTemplateTagSpecificationRequest
	for _, rt := range []ec2types.ResourceType{ec2types.ResourceTypeInstance, ec2types.ResourceTypeVolume, ec2types.ResourceTypeNetworkInterface} {
		out = append(out, ec2types.LaunchTemplateTagSpecificationRequest{ResourceType: rt, Tags: sortedTags(tags)})
	}
	return out
}

// sortedTags are tags in key order, so rendering, and therefore the name, is deterministic.
func sortedTags(tags map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}
