package awssim

import (
	"fmt"
	"strings"
	"time"
)

// maxParameterNames is how many names one GetParameters request may ask for, as on SSM.
const maxParameterNames = 10

// Data types of SSM parameters: an AMI ID, which SSM checks when the parameter is written, or any text.
const (
	imageDataType = "aws:ec2:image"
	textDataType  = "text"
)

// ssmParameter is the value of one SSM parameter and when it was last written.
type ssmParameter struct {
	value    string
	dataType string
	version  int64
	modified time.Time
}

// SetParameter creates the SSM parameter name with value, or overwrites it, raising its version; a name under
// /aws/service/ replaces the simulator's public parameter. Its data type is aws:ec2:image when value looks like
// an AMI ID and text otherwise; it is modified at the simulator's current time.
func (s *Server) SetParameter(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setParameter(name, value)
}

// setParameter is SetParameter with s.mu held; it returns the parameter as written.
func (s *Server) setParameter(name, value string) *ssmParameter {
	params := s.ssmParameters()
	p := &ssmParameter{value: value, dataType: textDataType, version: 1, modified: s.opts.Clock()}
	if strings.HasPrefix(value, "ami-") {
		p.dataType = imageDataType
	}
	if old, ok := params[name]; ok {
		p.version = old.version + 1
	}
	params[name] = p
	return p
}

// ssmParameters returns the parameters, built from the images on first use; it runs with s.mu held.
func (s *Server) ssmParameters() map[string]*ssmParameter {
	if s.parameters == nil {
		s.parameters = publicParameters(s.images)
	}
	return s.parameters
}

// publicParameters returns the public parameters AWS publishes for the images: for Amazon Linux 2023 one per
// image, named after it, and a recommended one pointing at the newest image of each Kubernetes version,
// architecture and variant; for Bottlerocket one per image, named after its Bottlerocket version, and a latest
// one.
func publicParameters(images []*image) map[string]*ssmParameter {
	out := map[string]*ssmParameter{}
	newest := map[string]*image{} // by the path of the recommended or latest parameter
	for _, im := range images {
		var dir, versioned, current string
		switch {
		case strings.HasPrefix(im.family, "al2023-"):
			dir = fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/%s/%s/",
				im.kubernetesVersion, im.arch, strings.TrimPrefix(im.family, "al2023-"))
			versioned, current = im.name, "recommended"
		case im.family == "bottlerocket":
			// Bottlerocket's image names say aarch64 where its parameter paths, like EC2, say arm64.
			dir = fmt.Sprintf("/aws/service/bottlerocket/aws-k8s-%s/%s/", im.kubernetesVersion, im.arch)
			versioned, current = bottlerocketVersion(im.name), "latest"
		default:
			continue
		}
		out[dir+versioned+"/image_id"] = imageParameter(im)
		key := dir + current + "/image_id"
		if n, ok := newest[key]; !ok || im.created.After(n.created) {
			newest[key] = im
		}
	}
	for name, im := range newest {
		out[name] = imageParameter(im)
	}
	return out
}

func imageParameter(im *image) *ssmParameter {
	return &ssmParameter{value: im.id, dataType: imageDataType, version: 1, modified: im.created}
}

// bottlerocketVersion returns the Bottlerocket release in an image name such as
// bottlerocket-aws-k8s-1.35-aarch64-v1.46.0-20250610: 1.46.0.
func bottlerocketVersion(name string) string {
	i := strings.LastIndex(name, "-v")
	if i < 0 {
		return ""
	}
	version, _, _ := strings.Cut(name[i+2:], "-")
	return version
}

// jsonParameter is an SSM Parameter as GetParameter and GetParameters return it.
type jsonParameter struct {
	Name             string  `json:"Name"`
	Type             string  `json:"Type"`
	Value            string  `json:"Value"`
	Version          int64   `json:"Version"`
	LastModifiedDate float64 `json:"LastModifiedDate"`
	ARN              string  `json:"ARN"`
	DataType         string  `json:"DataType"`
}

// parameterJSON returns the named parameter in its wire shape, and false when there is none.
func (s *Server) parameterJSON(name string) (jsonParameter, bool) {
	p, ok := s.ssmParameters()[name]
	if !ok {
		return jsonParameter{}, false
	}
	// Public parameters belong to no account; a name without a leading slash gets one in its ARN.
	account := accountID
	if strings.HasPrefix(name, "/aws/") {
		account = ""
	}
	arn := fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", s.region, account, strings.TrimPrefix(name, "/"))
	return jsonParameter{
		Name: name, Type: "String", Value: p.value, Version: p.version, LastModifiedDate: epochSeconds(p.modified),
		ARN: arn, DataType: p.dataType,
	}, true
}

// getParameter answers AmazonSSM.GetParameter. Version and label selectors (name:3) are not supported and
// find nothing.
func (s *Server) getParameter(body []byte, _ time.Time) (any, error) {
	var in struct {
		Name string `json:"Name"`
	}
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, clientError("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	p, ok := s.parameterJSON(in.Name)
	if !ok {
		return nil, clientError("ParameterNotFound", "Parameter %s not found.", in.Name)
	}
	return struct {
		Parameter jsonParameter `json:"Parameter"`
	}{p}, nil
}

// getParameters answers AmazonSSM.GetParameters: the parameters found, in the order asked for, and the names
// of the others.
func (s *Server) getParameters(body []byte, _ time.Time) (any, error) {
	var in struct {
		Names []string `json:"Names"`
	}
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	if len(in.Names) == 0 || len(in.Names) > maxParameterNames {
		return nil, clientError("ValidationException",
			"1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and %d", maxParameterNames)
	}
	out := struct {
		Parameters        []jsonParameter `json:"Parameters"`
		InvalidParameters []string        `json:"InvalidParameters"`
	}{Parameters: []jsonParameter{}, InvalidParameters: []string{}}
	seen := map[string]bool{}
	for _, name := range in.Names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if p, ok := s.parameterJSON(name); ok {
			out.Parameters = append(out.Parameters, p)
		} else {
			out.InvalidParameters = append(out.InvalidParameters, name)
		}
	}
	return out, nil
}
