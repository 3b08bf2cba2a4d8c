package awssim

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// iamNamespace is the XML namespace of every IAM response.
const iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// maxIAMTags is how many tags one IAM resource may carry.
const maxIAMTags = 50

// validIAMName reports whether name is a valid IAM role or instance profile name: 1 to 128 letters, digits and
// any of _+=,.@-.
func validIAMName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, c := range name {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		digit := '0' <= c && c <= '9'
		if !letter && !digit && !strings.ContainsRune("_+=,.@-", c) {
			return false
		}
	}
	return true
}

// ec2TrustPolicy lets EC2 assume a role, the only trust a node role needs.
const ec2TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

type iamRole struct {
	name, id string
	created  time.Time
}

type iamInstanceProfile struct {
	name, path, id string
	created        time.Time
	role           *iamRole // an instance profile holds at most one role
	tags           map[string]string
}

// iamState is the simulated IAM account: roles and instance profiles by name.
type iamState struct {
	roles    map[string]*iamRole
	profiles map[string]*iamInstanceProfile
}

// iamHandler answers one IAM action; it runs with s.mu held.
type iamHandler func(s *Server, p params, now time.Time) (any, error)

// iamAction returns the handler of an IAM action; no EC2 action has any of these names.
func iamAction(action string) (iamHandler, bool) {
	h, ok := map[string]iamHandler{
		"CreateInstanceProfile":         (*Server).createInstanceProfile,
		"GetInstanceProfile":            (*Server).getInstanceProfile,
		"AddRoleToInstanceProfile":      (*Server).addRoleToInstanceProfile,
		"RemoveRoleFromInstanceProfile": (*Server).removeRoleFromInstanceProfile,
		"DeleteInstanceProfile":         (*Server).deleteInstanceProfile,
		"ListInstanceProfiles":          (*Server).listInstanceProfiles,
		"TagInstanceProfile":            (*Server).tagInstanceProfile,
	}[action]
	return h, ok
}

// iamAccount returns the IAM state, created on first use with the cluster's node role; it runs with s.mu held.
func (s *Server) iamAccount() *iamState {
	if s.iam == nil {
		s.iam = &iamState{roles: map[string]*iamRole{}, profiles: map[string]*iamInstanceProfile{}}
		s.createRole("StevedoreNodeRole-" + s.opts.ClusterName)
	}
	return s.iam
}

// CreateRole creates the IAM role name, which EC2 may assume, so that it can be added to instance profiles;
// creating an existing role does nothing. The role StevedoreNodeRole-<ClusterName> exists from the start.
func (s *Server) CreateRole(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.iamAccount()
	s.createRole(name)
}

func (s *Server) createRole(name string) *iamRole {
	if r, ok := s.iam.roles[name]; ok {
		return r
	}
	r := &iamRole{name: name, id: s.iamID("AROA"), created: s.opts.Clock()}
	s.iam.roles[name] = r
	return r
}

// iamID returns an IAM unique ID: a prefix naming the kind of entity and 17 upper-case letters and digits.
func (s *Server) iamID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := []byte(prefix)
	for range 17 {
		b = append(b, alphabet[s.rng.IntN(len(alphabet))])
	}
	return string(b)
}

// iamError is an IAM error with the HTTP status IAM answers it with.
func iamError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func noSuchProfile(name string) *apiError {
	return iamError(http.StatusNotFound, "NoSuchEntity", "Instance Profile %s cannot be found.", name)
}

// serveIAM answers an IAM query request; parseErr is the error, if any, of parsing its form.
func (s *Server) serveIAM(w http.ResponseWriter, p params, action string, h iamHandler, parseErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	requestID := s.uuid()
	fail := func(e *apiError) {
		kind := "Sender"
		if e.status >= http.StatusInternalServerError {
			kind = "Receiver"
		}
		writeXML(w, e.status, iamErrorResponse{Xmlns: iamNamespace, Type: kind, Code: e.code, Message: e.message, RequestID: requestID})
	}
	if s.throttled() {
		fail(iamError(http.StatusBadRequest, "Throttling", "Rate exceeded"))
		return
	}
	if parseErr != nil {
		fail(iamError(http.StatusBadRequest, "MalformedInput", "The request could not be parsed: %v", parseErr))
		return
	}
	s.iamAccount()
	result, err := h(s, p, s.opts.Clock())
	if err != nil {
		var e *apiError
		if !errors.As(err, &e) {
			e = iamError(http.StatusInternalServerError, "ServiceFailure", "%v", err)
		}
		fail(e)
		return
	}
	env := iamResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: iamNamespace, RequestID: requestID}
	if result != nil {
		var buf bytes.Buffer
		if err := xml.NewEncoder(&buf).EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			fail(iamError(http.StatusInternalServerError, "ServiceFailure", "encoding response: %v", err))
			return
		}
		env.Result = buf.Bytes()
	}
	writeXML(w, http.StatusOK, env)
}

// iamResponse wraps every IAM response: the action's result, when it has one, then the request ID.
type iamResponse struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	Result    []byte `xml:",innerxml"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type iamErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type xmlIAMTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlIAMRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
}

type xmlIAMInstanceProfile struct {
	Path                string `xml:"Path"`
	InstanceProfileName string `xml:"InstanceProfileName"`
	InstanceProfileID   string `xml:"InstanceProfileId"`
	Arn                 string `xml:"Arn"`
	CreateDate          string `xml:"CreateDate"`
	Roles               struct {
		Members []xmlIAMRole `xml:"member"`
	} `xml:"Roles"`
	Tags []xmlIAMTag `xml:"Tags>member"`
}

func (ip *iamInstanceProfile) xml(withTags bool) xmlIAMInstanceProfile {
	out := xmlIAMInstanceProfile{
		Path: ip.path, InstanceProfileName: ip.name, InstanceProfileID: ip.id, CreateDate: ip.created.UTC().Format(time.RFC3339),
		Arn: fmt.Sprintf("arn:aws:iam::%s:instance-profile%s%s", accountID, ip.path, ip.name),
	}
	if r := ip.role; r != nil {
		out.Roles.Members = []xmlIAMRole{{
			Path: "/", RoleName: r.name, RoleID: r.id, CreateDate: r.created.UTC().Format(time.RFC3339),
			Arn: fmt.Sprintf("arn:aws:iam::%s:role/%s", accountID, r.name), AssumeRolePolicyDocument: url.QueryEscape(ec2TrustPolicy),
		}}
	}
	if !withTags {
		return out
	}
	for _, k := range slices.Sorted(maps.Keys(ip.tags)) {
		out.Tags = append(out.Tags, xmlIAMTag{Key: k, Value: ip.tags[k]})
	}
	return out
}

type instanceProfileResult struct {
	InstanceProfile xmlIAMInstanceProfile `xml:"InstanceProfile"`
}

// profile returns the named instance profile, or NoSuchEntity.
func (s *Server) profile(p params) (*iamInstanceProfile, error) {
	name := p.str("InstanceProfileName")
	if ip, ok := s.iam.profiles[name]; ok {
		return ip, nil
	}
	return nil, noSuchProfile(name)
}

// iamTags reads the tags of a request, with IAM's error codes.
func iamTags(p params) (map[string]string, error) {
	tags, err := p.tags("Tags.member")
	var e *apiError
	if errors.As(err, &e) {
		return nil, iamError(http.StatusBadRequest, "InvalidInput", "%s", e.message)
	}
	return tags, err
}

func (s *Server) createInstanceProfile(p params, now time.Time) (any, error) {
	name, path := p.str("InstanceProfileName"), cmp.Or(p.str("Path"), "/")
	if !validIAMName(name) {
		return nil, iamError(http.StatusBadRequest, "ValidationError", "The instance profile name %q must be 1 to 128 letters, digits and _+=,.@-.", name)
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") || len(path) > 512 {
		return nil, iamError(http.StatusBadRequest, "ValidationError", "The path %q must begin and end with /.", path)
	}
	if _, ok := s.iam.profiles[name]; ok {
		return nil, iamError(http.StatusConflict, "EntityAlreadyExists", "Instance Profile %s already exists.", name)
	}
	tags, err := iamTags(p)
	if err != nil {
		return nil, err
	}
	if len(tags) > maxIAMTags {
		return nil, iamError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for TagsPerInstanceProfile: %d.", maxIAMTags)
	}
	ip := &iamInstanceProfile{name: name, path: path, id: s.iamID("AIPA"), created: now, tags: tags}
	s.iam.profiles[name] = ip
	return instanceProfileResult{ip.xml(true)}, nil
}

func (s *Server) getInstanceProfile(p params, _ time.Time) (any, error) {
	ip, err := s.profile(p)
	if err != nil {
		return nil, err
	}
	return instanceProfileResult{ip.xml(true)}, nil
}

func (s *Server) addRoleToInstanceProfile(p params, _ time.Time) (any, error) {
	ip, err := s.profile(p)
	if err != nil {
		return nil, err
	}
	role, ok := s.iam.roles[p.str("RoleName")]
	if !ok {
		return nil, iamError(http.StatusNotFound, "NoSuchEntity", "The role with name %s cannot be found.", p.str("RoleName"))
	}
	if ip.role != nil {
		return nil, iamError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	}
	ip.role = role
	return nil, nil
}

func (s *Server) removeRoleFromInstanceProfile(p params, _ time.Time) (any, error) {
	ip, err := s.profile(p)
	if err != nil {
		return nil, err
	}
	if name := p.str("RoleName"); ip.role == nil || ip.role.name != name {
		return nil, iamError(http.StatusNotFound, "NoSuchEntity", "The role with name %s is not in instance profile %s.", name, ip.name)
	}
	ip.role = nil
	return nil, nil
}

func (s *Server) deleteInstanceProfile(p params, _ time.Time) (any, error) {
	ip, err := s.profile(p)
	if err != nil {
		return nil, err
	}
	if ip.role != nil {
		return nil, iamError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	}
	delete(s.iam.profiles, ip.name)
	return nil, nil
}

func (s *Server) tagInstanceProfile(p params, _ time.Time) (any, error) {
	ip, err := s.profile(p)
	if err != nil {
		return nil, err
	}
	tags, err := iamTags(p)
	if err != nil {
		return nil, err
	}
	merged := maps.Clone(ip.tags)
	maps.Copy(merged, tags)
	if len(merged) > maxIAMTags {
		return nil, iamError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for TagsPerInstanceProfile: %d.", maxIAMTags)
	}
	ip.tags = merged
	return nil, nil
}

// listInstanceProfiles lists the instance profiles under PathPrefix by name, without their tags as on IAM,
// MaxItems (100 by default) at a time; Marker is the name to continue from.
func (s *Server) listInstanceProfiles(p params, _ time.Time) (any, error) {
	prefix, marker := cmp.Or(p.str("PathPrefix"), "/"), p.str("Marker")
	size, ok, err := p.integer("MaxItems")
	if err != nil || (ok && (size < 1 || size > 1000)) {
		return nil, iamError(http.StatusBadRequest, "ValidationError", "MaxItems must be between 1 and 1000.")
	}
	if !ok {
		size = 100
	}
	var names []string
	for name, ip := range s.iam.profiles {
		if strings.HasPrefix(ip.path, prefix) && name >= marker {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := struct {
		InstanceProfiles struct {
			Members []xmlIAMInstanceProfile `xml:"member"`
		} `xml:"InstanceProfiles"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{}
	for i, name := range names {
		if i == size {
			out.IsTruncated, out.Marker = true, name
			break
		}
		out.InstanceProfiles.Members = append(out.InstanceProfiles.Members, s.iam.profiles[name].xml(false))
	}
	return out, nil
}
