package awssim

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// Owners of the simulated public images, as on AWS: the EKS-optimized Amazon Linux images and Bottlerocket are
// published by different accounts that share the alias amazon.
const (
	eksImageOwner          = "602401143452"
	bottlerocketImageOwner = "092701018921"
	amazonOwnerAlias       = "amazon"
)

// imageLifetime is how long after its creation an image is deprecated. Deprecated images are left out of
// DescribeImages unless asked for by ID or with IncludeDeprecated, as on EC2.
const imageLifetime = 365 * 24 * time.Hour

// kubernetesReleases are the Kubernetes minor versions with images, and the day their images were built.
var kubernetesReleases = []struct {
	version string
	built   time.Time
}{
	{"1.33", time.Date(2024, 12, 10, 4, 12, 0, 0, time.UTC)},
	{"1.34", time.Date(2025, 3, 11, 4, 12, 0, 0, time.UTC)},
	{"1.35", time.Date(2025, 6, 10, 4, 12, 0, 0, time.UTC)},
	{"1.36", time.Date(2025, 9, 9, 4, 12, 0, 0, time.UTC)},
	{"1.37", time.Date(2025, 12, 9, 4, 12, 0, 0, time.UTC)},
}

// image is a public AMI.
type image struct {
	id, name, description, owner, arch, family string
	kubernetesVersion                          string
	created                                    time.Time
}

// deprecated reports whether the image's deprecation time has passed.
func (im *image) deprecated(now time.Time) bool { return !now.Before(im.created.Add(imageLifetime)) }

// publicImages returns the images of a region, sorted by name: for every Kubernetes release, Amazon Linux 2023
// standard and nvidia images and a Bottlerocket image, each for x86_64 and arm64. IDs are a hash of the region
// and the name, so they are the same in every run and differ between regions.
func publicImages(region string) []*image {
	var out []*image
	for i, r := range kubernetesReleases {
		stamp := r.built.Format("20060102")
		for _, arch := range []string{"x86_64", "arm64"} {
			for _, variant := range []string{"standard", "nvidia"} {
				out = append(out, &image{
					name:   fmt.Sprintf("amazon-eks-node-al2023-%s-%s-%s-v%s", arch, variant, r.version, stamp),
					owner:  eksImageOwner,
					arch:   arch,
					family: "al2023-" + variant,
					description: fmt.Sprintf("EKS-optimized Kubernetes node based on Amazon Linux 2023 (%s, k8s: %s)",
						variant, r.version),
					kubernetesVersion: r.version,
					created:           r.built,
				})
			}
			brArch := map[string]string{"x86_64": "x86_64", "arm64": "aarch64"}[arch]
			out = append(out, &image{
				name:              fmt.Sprintf("bottlerocket-aws-k8s-%s-%s-v1.%d.0-%s", r.version, brArch, 40+3*i, stamp),
				owner:             bottlerocketImageOwner,
				arch:              arch,
				family:            "bottlerocket",
				description:       "bottlerocket-aws-k8s-" + r.version,
				kubernetesVersion: r.version,
				created:           r.built.Add(2 * time.Hour),
			})
		}
	}
	for _, im := range out {
		im.id = imageID(region, im.name)
	}
	slices.SortFunc(out, func(a, b *image) int { return cmp.Compare(a.name, b.name) })
	return out
}

func imageID(region, name string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(region + "/" + name))
	return fmt.Sprintf("ami-%017x", h.Sum64()>>4)
}

// defaultImage is the image of instances launched without one: the newest Amazon Linux 2023 standard image
// for the architecture, in its EC2 spelling.
func (s *Server) defaultImage(arch string) string {
	var newest *image
	for _, im := range s.images {
		if im.arch == arch && im.family == "al2023-standard" && (newest == nil || im.created.After(newest.created)) {
			newest = im
		}
	}
	if newest == nil {
		return ""
	}
	return newest.id
}

type xmlEBS struct {
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	Encrypted           bool   `xml:"encrypted"`
	SnapshotID          string `xml:"snapshotId"`
	VolumeSize          int    `xml:"volumeSize"`
	VolumeType          string `xml:"volumeType"`
}

type xmlBlockDeviceMapping struct {
	DeviceName string `xml:"deviceName"`
	EBS        xmlEBS `xml:"ebs"`
}

type xmlImage struct {
	ImageID            string                  `xml:"imageId"`
	ImageLocation      string                  `xml:"imageLocation"`
	ImageState         string                  `xml:"imageState"`
	ImageOwnerID       string                  `xml:"imageOwnerId"`
	ImageOwnerAlias    string                  `xml:"imageOwnerAlias"`
	CreationDate       string                  `xml:"creationDate"`
	DeprecationTime    string                  `xml:"deprecationTime"`
	IsPublic           bool                    `xml:"isPublic"`
	Architecture       string                  `xml:"architecture"`
	ImageType          string                  `xml:"imageType"`
	Name               string                  `xml:"name"`
	Description        string                  `xml:"description"`
	RootDeviceType     string                  `xml:"rootDeviceType"`
	RootDeviceName     string                  `xml:"rootDeviceName"`
	BlockDeviceMapping []xmlBlockDeviceMapping `xml:"blockDeviceMapping>item"`
	VirtualizationType string                  `xml:"virtualizationType"`
	Hypervisor         string                  `xml:"hypervisor"`
	EnaSupport         bool                    `xml:"enaSupport"`
	BootMode           string                  `xml:"bootMode"`
	PlatformDetails    string                  `xml:"platformDetails"`
	UsageOperation     string                  `xml:"usageOperation"`
}

type describeImagesResponse struct {
	Images    []xmlImage `xml:"imagesSet>item"`
	NextToken string     `xml:"nextToken,omitempty"`
}

func (im *image) xml() xmlImage {
	out := xmlImage{
		ImageID:            im.id,
		ImageLocation:      amazonOwnerAlias + "/" + im.name,
		ImageState:         "available",
		ImageOwnerID:       im.owner,
		ImageOwnerAlias:    amazonOwnerAlias,
		CreationDate:       im.created.Format(launchTimeLayout),
		DeprecationTime:    im.created.Add(imageLifetime).Format(launchTimeLayout),
		IsPublic:           true,
		Architecture:       im.arch,
		ImageType:          "machine",
		Name:               im.name,
		Description:        im.description,
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		VirtualizationType: "hvm",
		Hypervisor:         "xen",
		EnaSupport:         true,
		BootMode:           "uefi-preferred",
		PlatformDetails:    "Linux/UNIX",
		UsageOperation:     "RunInstances",
	}
	snapshot := "snap-" + strings.TrimPrefix(im.id, "ami-")
	if im.family == "bottlerocket" {
		// Bottlerocket boots from a small read-only root and keeps containers on a second volume.
		out.BlockDeviceMapping = []xmlBlockDeviceMapping{
			{DeviceName: "/dev/xvda", EBS: xmlEBS{DeleteOnTermination: true, SnapshotID: snapshot, VolumeSize: 2, VolumeType: "gp2"}},
			{DeviceName: "/dev/xvdb", EBS: xmlEBS{DeleteOnTermination: true, SnapshotID: snapshot + "b", VolumeSize: 20, VolumeType: "gp2"}},
		}
	} else {
		out.BlockDeviceMapping = []xmlBlockDeviceMapping{
			{DeviceName: "/dev/xvda", EBS: xmlEBS{DeleteOnTermination: true, SnapshotID: snapshot, VolumeSize: 20, VolumeType: "gp3"}},
		}
	}
	return out
}

// imageFields answers DescribeImages filters other than tags.
func imageFields(im *image) fields {
	return func(name string) ([]string, bool) {
		switch name {
		case "name":
			return []string{im.name}, true
		case "image-id":
			return []string{im.id}, true
		case "architecture":
			return []string{im.arch}, true
		case "owner-id":
			return []string{im.owner}, true
		case "owner-alias":
			return []string{amazonOwnerAlias}, true
		case "description":
			return []string{im.description}, true
		case "state":
			return []string{"available"}, true
		case "is-public":
			return []string{"true"}, true
		case "image-type":
			return []string{"machine"}, true
		case "root-device-type":
			return []string{"ebs"}, true
		case "virtualization-type":
			return []string{"hvm"}, true
		case "creation-date":
			return []string{im.created.Format(launchTimeLayout)}, true
		}
		return nil, false
	}
}

// describeImages lists the public images by ID, owner and filters. Deprecated images are listed only when asked
// for by ID or with IncludeDeprecated.
func (s *Server) describeImages(p params, now time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	ids := p.strs("ImageId")
	if len(ids) > 0 && p.str("MaxResults") != "" {
		return nil, clientError("InvalidParameterCombination", "The parameter imagesSet cannot be used with the parameter maxResults")
	}
	candidates := s.images
	if len(ids) > 0 {
		if candidates, err = s.lookupImages(ids); err != nil {
			return nil, err
		}
	}
	owners := p.strs("Owner")
	includeDeprecated := len(ids) > 0 || strings.EqualFold(p.str("IncludeDeprecated"), "true")
	var matched []*image
	for _, im := range candidates {
		if !includeDeprecated && im.deprecated(now) {
			continue
		}
		if len(owners) > 0 && !slices.Contains(owners, im.owner) && !slices.Contains(owners, amazonOwnerAlias) {
			continue
		}
		ok, err := match(filters, nil, imageFields(im))
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, im)
		}
	}
	start, end, next, err := p.page(len(matched), max(len(matched), 1), 5, 1000)
	if err != nil {
		return nil, err
	}
	resp := &describeImagesResponse{NextToken: next, Images: []xmlImage{}}
	for _, im := range matched[start:end] {
		resp.Images = append(resp.Images, im.xml())
	}
	return resp, nil
}

// lookupImages resolves image IDs, failing as EC2 does when any is malformed or unknown.
func (s *Server) lookupImages(ids []string) ([]*image, error) {
	var out []*image
	for _, id := range ids {
		if !strings.HasPrefix(id, "ami-") {
			return nil, clientError("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
		i := slices.IndexFunc(s.images, func(im *image) bool { return im.id == id })
		if i < 0 {
			return nil, clientError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
		}
		out = append(out, s.images[i])
	}
	return out, nil
}
