package awssim

import (
	"encoding/base64"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// launchTemplateNamePattern is what EC2 accepts as a launch template name.
var launchTemplateNamePattern = regexp.MustCompile(`^[a-zA-Z0-9()./_-]{3,128}$`)

// maxUserDataBytes is the most user data EC2 accepts, counted before base64 encoding.
const maxUserDataBytes = 16 * 1024

// launchTemplate is a launch template with its single version: the simulator keeps no version history, so
// $Latest, $Default and 1 all name the data it was created with.
type launchTemplate struct {
	id, name     string
	imageID      string
	instanceType string
	createdAt    time.Time
	// tags are the template's own tags; instanceTags are the tags it gives the instances launched from it.
	tags, instanceTags map[string]string
	// data is the whole LaunchTemplateData, as DescribeLaunchTemplateVersions returns it.
	data templateData
}

type xmlLaunchTemplate struct {
	CreateTime           string   `xml:"createTime"`
	CreatedBy            string   `xml:"createdBy"`
	DefaultVersionNumber int      `xml:"defaultVersionNumber"`
	LatestVersionNumber  int      `xml:"latestVersionNumber"`
	LaunchTemplateID     string   `xml:"launchTemplateId"`
	LaunchTemplateName   string   `xml:"launchTemplateName"`
	Tags                 []xmlTag `xml:"tagSet>item"`
}

type launchTemplateResponse struct {
	LaunchTemplate xmlLaunchTemplate `xml:"launchTemplate"`
}

type describeLaunchTemplatesResponse struct {
	LaunchTemplates []xmlLaunchTemplate `xml:"launchTemplates>item"`
	NextToken       string              `xml:"nextToken,omitempty"`
}

func (lt *launchTemplate) xml() xmlLaunchTemplate {
	return xmlLaunchTemplate{
		CreateTime:           lt.createdAt.UTC().Format(launchTimeLayout),
		CreatedBy:            "arn:aws:iam::" + accountID + ":root",
		DefaultVersionNumber: 1,
		LatestVersionNumber:  1,
		LaunchTemplateID:     lt.id,
		LaunchTemplateName:   lt.name,
		Tags:                 tagSet(lt.tags),
	}
}

// tagSpecifications returns the tags that the TagSpecification.N entries under prefix give resourceType.
func (p params) tagSpecifications(prefix, resourceType string) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range p.members(prefix) {
		if p.str(m+".ResourceType") != resourceType {
			continue
		}
		t, err := p.tags(m + ".Tag")
		if err != nil {
			return nil, err
		}
		maps.Copy(out, t)
	}
	if len(out) > maxTags {
		return nil, clientError("TagLimitExceeded", "The maximum number of tags per resource is %d", maxTags)
	}
	return out, nil
}

// createLaunchTemplate creates a template, keeping all of the LaunchTemplateData that templateData models.
func (s *Server) createLaunchTemplate(p params, now time.Time) (any, error) {
	name := p.str("LaunchTemplateName")
	if name == "" {
		return nil, clientError("MissingParameter", "The request must contain the parameter LaunchTemplateName")
	}
	if !launchTemplateNamePattern.MatchString(name) {
		return nil, clientError("InvalidLaunchTemplateName.MalformedException",
			"A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.")
	}
	if s.templateByName(name) != nil {
		return nil, clientError("InvalidLaunchTemplateName.AlreadyExistsException",
			"Launch template name already in use.")
	}
	data, err := p.templateData("LaunchTemplateData")
	if err != nil {
		return nil, err
	}
	lt := &launchTemplate{name: name, imageID: data.ImageID, instanceType: data.InstanceType, createdAt: now, data: *data}
	if lt.instanceType != "" {
		if _, ok := s.typeIndex[lt.instanceType]; !ok {
			return nil, clientError("InvalidParameterValue", "The instance type '%s' does not exist.", lt.instanceType)
		}
	}
	if lt.imageID != "" && !strings.HasPrefix(lt.imageID, "ami-") && !strings.HasPrefix(lt.imageID, "resolve:ssm:") {
		return nil, clientError("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", lt.imageID)
	}
	if ud := data.UserData; ud != "" {
		raw, err := base64.StdEncoding.DecodeString(ud)
		if err != nil {
			return nil, clientError("InvalidUserData.Malformed", "Invalid BASE64 encoding of user data.")
		}
		if len(raw) > maxUserDataBytes {
			return nil, clientError("InvalidParameterValue", "User data is limited to %d bytes.", maxUserDataBytes)
		}
	}
	if lt.tags, err = p.tagSpecifications("TagSpecification", "launch-template"); err != nil {
		return nil, err
	}
	if lt.instanceTags, err = p.tagSpecifications("LaunchTemplateData.TagSpecification", "instance"); err != nil {
		return nil, err
	}
	lt.id = s.hexID("lt")
	s.templates = append(s.templates, lt)
	return &launchTemplateResponse{LaunchTemplate: lt.xml()}, nil
}

// describeLaunchTemplates lists templates by ID, by name, or all of them, narrowed by filters.
func (s *Server) describeLaunchTemplates(p params, _ time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	candidates := s.templates
	ids, names := p.strs("LaunchTemplateId"), p.strs("LaunchTemplateName")
	if len(ids) > 0 || len(names) > 0 {
		candidates = nil
		for _, id := range ids {
			lt, err := s.lookupTemplate(id, "")
			if err != nil {
				return nil, err
			}
			candidates = append(candidates, lt)
		}
		for _, name := range names {
			lt, err := s.lookupTemplate("", name)
			if err != nil {
				return nil, err
			}
			candidates = append(candidates, lt)
		}
	}
	var matched []*launchTemplate
	for _, lt := range candidates {
		ok, err := match(filters, lt.tags, func(name string) ([]string, bool) {
			switch name {
			case "launch-template-name":
				return []string{lt.name}, true
			case "create-time":
				return []string{lt.createdAt.UTC().Format(launchTimeLayout)}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, lt)
		}
	}
	start, end, next, err := p.page(len(matched), max(len(matched), 1), 1, 200)
	if err != nil {
		return nil, err
	}
	resp := &describeLaunchTemplatesResponse{NextToken: next, LaunchTemplates: []xmlLaunchTemplate{}}
	for _, lt := range matched[start:end] {
		resp.LaunchTemplates = append(resp.LaunchTemplates, lt.xml())
	}
	return resp, nil
}

type xmlLaunchTemplateVersion struct {
	CreateTime         string       `xml:"createTime"`
	CreatedBy          string       `xml:"createdBy"`
	DefaultVersion     bool         `xml:"defaultVersion"`
	LaunchTemplateData templateData `xml:"launchTemplateData"`
	LaunchTemplateID   string       `xml:"launchTemplateId"`
	LaunchTemplateName string       `xml:"launchTemplateName"`
	VersionNumber      int          `xml:"versionNumber"`
}

type describeLaunchTemplateVersionsResponse struct {
	Versions  []xmlLaunchTemplateVersion `xml:"launchTemplateVersionSet>item"`
	NextToken string                     `xml:"nextToken,omitempty"`
}

// describeLaunchTemplateVersions returns the single version of one template, named by ID or name, with its
// data. Without an ID or name, as on EC2, it describes every template, and then only $Latest and $Default may
// be asked for. MinVersion and MaxVersion narrow the answer to nothing when they exclude version 1.
func (s *Server) describeLaunchTemplateVersions(p params, _ time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	versions := p.strs("LaunchTemplateVersion")
	candidates := s.templates
	if id, name := p.str("LaunchTemplateId"), p.str("LaunchTemplateName"); id != "" || name != "" {
		lt, err := s.lookupTemplate(id, name)
		if err != nil {
			return nil, err
		}
		candidates = []*launchTemplate{lt}
	} else if len(versions) == 0 || slices.ContainsFunc(versions, func(v string) bool { return v != "$Latest" && v != "$Default" }) {
		return nil, clientError("MissingParameter",
			"The request must contain the parameter LaunchTemplateId or LaunchTemplateName unless it asks only for $Latest or $Default versions.")
	}
	minVersion, hasMin, err := p.integer("MinVersion")
	if err != nil {
		return nil, err
	}
	maxVersion, hasMax, err := p.integer("MaxVersion")
	if err != nil {
		return nil, err
	}
	if hasMin && minVersion > 1 || hasMax && maxVersion < 1 {
		candidates = nil // every template's only version is 1
	}
	resp := &describeLaunchTemplateVersionsResponse{}
	for _, lt := range candidates {
		for _, v := range versions {
			if err := checkTemplateVersion(lt, v); err != nil {
				return nil, err
			}
		}
		ok, err := match(filters, nil, func(name string) ([]string, bool) {
			switch name {
			case "image-id":
				return []string{lt.imageID}, true
			case "instance-type":
				return []string{lt.instanceType}, true
			case "is-default-version":
				return []string{"true"}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if ok {
			resp.Versions = append(resp.Versions, xmlLaunchTemplateVersion{
				CreateTime: lt.createdAt.UTC().Format(launchTimeLayout), CreatedBy: "arn:aws:iam::" + accountID + ":root",
				DefaultVersion: true, LaunchTemplateData: lt.data, LaunchTemplateID: lt.id, LaunchTemplateName: lt.name,
				VersionNumber: 1,
			})
		}
	}
	return resp, nil
}

// deleteLaunchTemplate deletes a template by ID or name. Instances launched from it are not affected.
func (s *Server) deleteLaunchTemplate(p params, _ time.Time) (any, error) {
	id, name := p.str("LaunchTemplateId"), p.str("LaunchTemplateName")
	if id == "" && name == "" {
		return nil, clientError("MissingParameter", "The request must contain the parameter LaunchTemplateId or LaunchTemplateName")
	}
	lt, err := s.lookupTemplate(id, name)
	if err != nil {
		return nil, err
	}
	for i, t := range s.templates {
		if t == lt {
			s.templates = append(s.templates[:i], s.templates[i+1:]...)
			break
		}
	}
	return &launchTemplateResponse{LaunchTemplate: lt.xml()}, nil
}

// lookupTemplate finds a template by ID when id is set, else by name, failing with the error EC2 gives for each.
func (s *Server) lookupTemplate(id, name string) (*launchTemplate, error) {
	if id != "" {
		if !strings.HasPrefix(id, "lt-") {
			return nil, clientError("InvalidLaunchTemplateId.Malformed", "The specified ID for the launch template (%s) is malformed.", id)
		}
		for _, lt := range s.templates {
			if lt.id == id {
				if name != "" && lt.name != name {
					return nil, clientError("InvalidParameterCombination", "The launch template ID '%s' is not named '%s'.", id, name)
				}
				return lt, nil
			}
		}
		return nil, clientError("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id)
	}
	if lt := s.templateByName(name); lt != nil {
		return lt, nil
	}
	return nil, clientError("InvalidLaunchTemplateName.NotFoundException",
		"The specified launch template, with template name %s, does not exist.", name)
}

func (s *Server) templateByName(name string) *launchTemplate {
	for _, lt := range s.templates {
		if lt.name == name {
			return lt
		}
	}
	return nil
}

// checkTemplateVersion accepts the versions that name the single version a simulated template has.
func checkTemplateVersion(lt *launchTemplate, version string) error {
	switch version {
	case "", "$Latest", "$Default", "1":
		return nil
	}
	return clientError("InvalidLaunchTemplateId.VersionNotFound",
		"Could not find launch template version %s for the launch template with ID %s.", version, lt.id)
}

// optionalBool reads an optional boolean parameter.
func (p params) optionalBool(key string) (*bool, error) {
	v := p.str(key)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, clientError("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected a boolean.", v, key)
	}
	return &b, nil
}

// optionalInt reads an optional integer parameter that must lie in [lo, hi].
func (p params) optionalInt(key string, lo, hi int) (*int, error) {
	n, ok, err := p.integer(key)
	if err != nil || !ok {
		return nil, err
	}
	if n < lo || n > hi {
		return nil, clientError("InvalidParameterValue", "Value (%d) for parameter %s is invalid. It must be between %d and %d.", n, key, lo, hi)
	}
	return &n, nil
}

// oneOf reads an optional string parameter that must be one of allowed.
func (p params) oneOf(key string, allowed ...string) (string, error) {
	v := p.str(key)
	if v != "" && !slices.Contains(allowed, v) {
		return "", clientError("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Valid values: %s.", v, key, strings.Join(allowed, ", "))
	}
	return v, nil
}

// templateData is the part of a LaunchTemplateData the simulator keeps, in the shape DescribeLaunchTemplateVersions
// answers with. Fields the simulator does not model are accepted and dropped.
type templateData struct {
	BlockDeviceMappings []xmlTemplateDevice   `xml:"blockDeviceMappingSet>item,omitempty"`
	IAMInstanceProfile  *xmlInstanceProfile   `xml:"iamInstanceProfile,omitempty"`
	ImageID             string                `xml:"imageId,omitempty"`
	InstanceType        string                `xml:"instanceType,omitempty"`
	MetadataOptions     *xmlMetadataOptions   `xml:"metadataOptions,omitempty"`
	Monitoring          *xmlMonitoring        `xml:"monitoring,omitempty"`
	NetworkInterfaces   []xmlNetworkInterface `xml:"networkInterfaceSet>item,omitempty"`
	SecurityGroupIDs    []string              `xml:"securityGroupIdSet>item,omitempty"`
	SecurityGroups      []string              `xml:"securityGroupSet>item,omitempty"`
	TagSpecifications   []xmlTagSpecification `xml:"tagSpecificationSet>item,omitempty"`
	UserData            string                `xml:"userData,omitempty"`
}

type xmlTemplateDevice struct {
	DeviceName  string          `xml:"deviceName"`
	EBS         *xmlTemplateEBS `xml:"ebs,omitempty"`
	NoDevice    string          `xml:"noDevice,omitempty"`
	VirtualName string          `xml:"virtualName,omitempty"`
}

type xmlTemplateEBS struct {
	DeleteOnTermination *bool  `xml:"deleteOnTermination,omitempty"`
	Encrypted           *bool  `xml:"encrypted,omitempty"`
	IOPS                *int   `xml:"iops,omitempty"`
	KMSKeyID            string `xml:"kmsKeyId,omitempty"`
	SnapshotID          string `xml:"snapshotId,omitempty"`
	Throughput          *int   `xml:"throughput,omitempty"`
	VolumeSize          *int   `xml:"volumeSize,omitempty"`
	VolumeType          string `xml:"volumeType,omitempty"`
}

type xmlInstanceProfile struct {
	ARN  string `xml:"arn,omitempty"`
	Name string `xml:"name,omitempty"`
}

type xmlMetadataOptions struct {
	HTTPEndpoint            string `xml:"httpEndpoint,omitempty"`
	HTTPProtocolIPv6        string `xml:"httpProtocolIpv6,omitempty"`
	HTTPPutResponseHopLimit *int   `xml:"httpPutResponseHopLimit,omitempty"`
	HTTPTokens              string `xml:"httpTokens,omitempty"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags,omitempty"`
}

type xmlMonitoring struct {
	Enabled *bool `xml:"enabled,omitempty"`
}

type xmlNetworkInterface struct {
	AssociatePublicIPAddress *bool    `xml:"associatePublicIpAddress,omitempty"`
	DeleteOnTermination      *bool    `xml:"deleteOnTermination,omitempty"`
	Description              string   `xml:"description,omitempty"`
	DeviceIndex              *int     `xml:"deviceIndex,omitempty"`
	Groups                   []string `xml:"groupSet>groupId,omitempty"`
	InterfaceType            string   `xml:"interfaceType,omitempty"`
	NetworkCardIndex         *int     `xml:"networkCardIndex,omitempty"`
	SubnetID                 string   `xml:"subnetId,omitempty"`
}

type xmlTagSpecification struct {
	ResourceType string   `xml:"resourceType"`
	Tags         []xmlTag `xml:"tagSet>item"`
}

// templateData reads the LaunchTemplateData under prefix, validating what EC2 validates when a template is
// created. Security groups on both the instance and a network interface are rejected here already, though EC2
// only refuses them when an instance is launched: a template that can never launch is a bug worth failing early.
func (p params) templateData(prefix string) (*templateData, error) {
	d := &templateData{
		ImageID:          p.str(prefix + ".ImageId"),
		InstanceType:     p.str(prefix + ".InstanceType"),
		UserData:         p.str(prefix + ".UserData"),
		SecurityGroupIDs: p.strs(prefix + ".SecurityGroupId"),
		SecurityGroups:   p.strs(prefix + ".SecurityGroup"),
	}
	var err error
	if arn, name := p.str(prefix+".IamInstanceProfile.Arn"), p.str(prefix+".IamInstanceProfile.Name"); arn != "" || name != "" {
		if arn != "" && name != "" {
			return nil, clientError("InvalidParameterCombination", "Specify an instance profile by ARN or by name, not both.")
		}
		d.IAMInstanceProfile = &xmlInstanceProfile{ARN: arn, Name: name}
	}
	if d.Monitoring, err = p.monitoring(prefix + ".Monitoring"); err != nil {
		return nil, err
	}
	if d.MetadataOptions, err = p.metadataOptions(prefix + ".MetadataOptions"); err != nil {
		return nil, err
	}
	if d.BlockDeviceMappings, err = p.blockDeviceMappings(prefix + ".BlockDeviceMapping"); err != nil {
		return nil, err
	}
	if d.NetworkInterfaces, err = p.networkInterfaces(prefix + ".NetworkInterface"); err != nil {
		return nil, err
	}
	for _, ni := range d.NetworkInterfaces {
		if len(ni.Groups) > 0 && (len(d.SecurityGroupIDs) > 0 || len(d.SecurityGroups) > 0) {
			return nil, clientError("InvalidParameterCombination",
				"Network interfaces and an instance-level security groups may not be specified on the same request")
		}
	}
	for _, m := range p.members(prefix + ".TagSpecification") {
		rt, err := p.oneOf(m+".ResourceType", "instance", "volume", "network-interface", "spot-instances-request")
		if err != nil {
			return nil, err
		}
		tags, err := p.tags(m + ".Tag")
		if err != nil {
			return nil, err
		}
		d.TagSpecifications = append(d.TagSpecifications, xmlTagSpecification{ResourceType: rt, Tags: tagSet(tags)})
	}
	return d, nil
}

func (p params) monitoring(prefix string) (*xmlMonitoring, error) {
	enabled, err := p.optionalBool(prefix + ".Enabled")
	if enabled == nil || err != nil {
		return nil, err
	}
	return &xmlMonitoring{Enabled: enabled}, nil
}

func (p params) metadataOptions(prefix string) (*xmlMetadataOptions, error) {
	m := &xmlMetadataOptions{}
	var err error
	for _, f := range []struct {
		key  string
		dst  *string
		vals []string
	}{
		{"HttpEndpoint", &m.HTTPEndpoint, []string{"enabled", "disabled"}},
		{"HttpProtocolIpv6", &m.HTTPProtocolIPv6, []string{"enabled", "disabled"}},
		{"HttpTokens", &m.HTTPTokens, []string{"optional", "required"}},
		{"InstanceMetadataTags", &m.InstanceMetadataTags, []string{"enabled", "disabled"}},
	} {
		if *f.dst, err = p.oneOf(prefix+"."+f.key, f.vals...); err != nil {
			return nil, err
		}
	}
	if m.HTTPPutResponseHopLimit, err = p.optionalInt(prefix+".HttpPutResponseHopLimit", 1, 64); err != nil {
		return nil, err
	}
	if *m == (xmlMetadataOptions{}) {
		return nil, nil
	}
	return m, nil
}

func (p params) blockDeviceMappings(prefix string) ([]xmlTemplateDevice, error) {
	var out []xmlTemplateDevice
	seen := map[string]bool{}
	for _, m := range p.members(prefix) {
		b := xmlTemplateDevice{DeviceName: p.str(m + ".DeviceName"), NoDevice: p.str(m + ".NoDevice"), VirtualName: p.str(m + ".VirtualName")}
		if b.DeviceName == "" || seen[b.DeviceName] {
			return nil, clientError("InvalidBlockDeviceMapping", "Each block device mapping needs a device name of its own; got %q.", b.DeviceName)
		}
		seen[b.DeviceName] = true
		if p.hasPrefix(m + ".Ebs.") {
			e, err := p.ebs(m + ".Ebs")
			if err != nil {
				return nil, err
			}
			b.EBS = e
		}
		out = append(out, b)
	}
	return out, nil
}

func (p params) ebs(prefix string) (*xmlTemplateEBS, error) {
	e := &xmlTemplateEBS{KMSKeyID: p.str(prefix + ".KmsKeyId"), SnapshotID: p.str(prefix + ".SnapshotId")}
	var err error
	if e.VolumeType, err = p.oneOf(prefix+".VolumeType", "standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"); err != nil {
		return nil, err
	}
	if e.DeleteOnTermination, err = p.optionalBool(prefix + ".DeleteOnTermination"); err != nil {
		return nil, err
	}
	if e.Encrypted, err = p.optionalBool(prefix + ".Encrypted"); err != nil {
		return nil, err
	}
	if e.VolumeSize, err = p.optionalInt(prefix+".VolumeSize", 1, 64*1024); err != nil {
		return nil, err
	}
	if e.IOPS, err = p.optionalInt(prefix+".Iops", 100, 256000); err != nil {
		return nil, err
	}
	if e.Throughput, err = p.optionalInt(prefix+".Throughput", 125, 2000); err != nil {
		return nil, err
	}
	return e, nil
}

func (p params) networkInterfaces(prefix string) ([]xmlNetworkInterface, error) {
	var out []xmlNetworkInterface
	for _, m := range p.members(prefix) {
		ni := xmlNetworkInterface{
			Description: p.str(m + ".Description"), Groups: p.strs(m + ".SecurityGroupId"),
			InterfaceType: p.str(m + ".InterfaceType"), SubnetID: p.str(m + ".SubnetId"),
		}
		var err error
		if ni.AssociatePublicIPAddress, err = p.optionalBool(m + ".AssociatePublicIpAddress"); err != nil {
			return nil, err
		}
		if ni.DeleteOnTermination, err = p.optionalBool(m + ".DeleteOnTermination"); err != nil {
			return nil, err
		}
		if ni.DeviceIndex, err = p.optionalInt(m+".DeviceIndex", 0, 31); err != nil {
			return nil, err
		}
		if ni.NetworkCardIndex, err = p.optionalInt(m+".NetworkCardIndex", 0, 15); err != nil {
			return nil, err
		}
		out = append(out, ni)
	}
	return out, nil
}

// hasPrefix reports whether any parameter starts with prefix.
func (p params) hasPrefix(prefix string) bool {
	for k := range p {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
