package awssim

import (
	"encoding/base64"
	"maps"
	"regexp"
	"strings"
	"time"
)

// launchTemplateNamePattern is what EC2 accepts as a launch template name.
var launchTemplateNamePattern = regexp.MustCompile(`^[a-zA-Z0-9()./_-]{3,128}$`)

// launchTemplate is a launch template with its single version: the simulator keeps no version history, so
// $Latest, $Default and 1 all name the data it was created with.
type launchTemplate struct {
	id, name     string
	imageID      string
	instanceType string
	createdAt    time.Time
	// tags are the template's own tags; instanceTags are the tags it gives the instances launched from it.
	tags, instanceTags map[string]string
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

// createLaunchTemplate creates a template from LaunchTemplateData's image, instance type, user data and instance
// tags; the rest of the data is accepted and ignored.
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
	lt := &launchTemplate{
		name:         name,
		imageID:      p.str("LaunchTemplateData.ImageId"),
		instanceType: p.str("LaunchTemplateData.InstanceType"),
		createdAt:    now,
	}
	if lt.instanceType != "" {
		if _, ok := s.typeIndex[lt.instanceType]; !ok {
			return nil, clientError("InvalidParameterValue", "The instance type '%s' does not exist.", lt.instanceType)
		}
	}
	if lt.imageID != "" && !strings.HasPrefix(lt.imageID, "ami-") && !strings.HasPrefix(lt.imageID, "resolve:ssm:") {
		return nil, clientError("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", lt.imageID)
	}
	if ud := p.str("LaunchTemplateData.UserData"); ud != "" {
		if _, err := base64.StdEncoding.DecodeString(ud); err != nil {
			return nil, clientError("InvalidUserData.Malformed", "Invalid BASE64 encoding of user data.")
		}
	}
	var err error
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
