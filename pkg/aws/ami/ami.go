package ami

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/ttlcache"
)

// EC2API is the part of the EC2 client the provider calls.
type EC2API interface {
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

// SSMAPI is the part of the SSM client the provider calls.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// kubernetesArch maps an EC2 architecture to its kubernetes.io/arch value, and false for architectures (32-bit,
// Mac) that cannot run nodes.
func kubernetesArch(arch ec2types.ArchitectureValues) (string, bool) {
	switch arch {
	case ec2types.ArchitectureValuesX8664:
		return "amd64", true
	case ec2types.ArchitectureValuesArm64:
		return "arm64", true
	}
	return "", false
}

// Provider resolves AMI selector terms. It is safe for concurrent use.
type Provider struct {
	ec2   EC2API
	ssm   SSMAPI
	clock clock.Clock
	cache *ttlcache.Cache[[]awsv1.AMI]
}

// New returns a provider that describes images with ec2, reads parameters with ssm, and judges deprecation and
// cache age with clk.
func New(ec2 EC2API, ssm SSMAPI, clk clock.Clock) *Provider {
	return &Provider{ec2: ec2, ssm: ssm, clock: clk, cache: ttlcache.New[[]awsv1.AMI](clk, cacheTTL)}
}

// Family is the AMI family a node class bootstraps with (awsv1.AMIFamilyAL2023, AMIFamilyBottlerocket or
// AMIFamilyCustom): the alias's family when a term has one, else spec.amiFamily. It is empty only for a node
// class the API would reject, with neither.
func Family(nc *awsv1.EC2NodeClass) string {
	for _, term := range nc.Spec.AMISelectorTerms {
		family, _, _ := strings.Cut(term.Alias, "@")
		switch family {
		case aliasAL2023:
			return awsv1.AMIFamilyAL2023
		case aliasBottlerocket:
			return awsv1.AMIFamilyBottlerocket
		}
	}
	return aws.ToString(nc.Spec.AMIFamily)
}

// candidate is a resolved image with what ordering needs beyond the status fields.
type candidate struct {
	ami     awsv1.AMI
	created time.Time
}

// Resolve returns the images any of the node class's amiSelectorTerms select for the cluster's Kubernetes
// version (such as "1.37"), each with the requirements an instance must meet to boot it. Images that are not
// deprecated come first, newest first; deprecated images follow, also newest first, so they are used only for
// instances no newer image fits. A term that selects nothing adds nothing, and no image at all is an empty
// slice; an alias with no image for the Kubernetes version is an error naming both.
func (p *Provider) Resolve(ctx context.Context, nc *awsv1.EC2NodeClass, kubernetesVersion string) ([]awsv1.AMI, error) {
	key, err := ttlcache.Key(struct {
		Terms             []awsv1.AMISelectorTerm
		KubernetesVersion string
	}{nc.Spec.AMISelectorTerms, kubernetesVersion})
	if err != nil {
		return nil, fmt.Errorf("hashing AMI selector terms: %w", err)
	}
	if cached, ok := p.cache.Get(key); ok {
		return clone(cached), nil
	}
	var found []candidate
	for _, term := range nc.Spec.AMISelectorTerms {
		images, err := p.resolveTerm(ctx, term, kubernetesVersion)
		if err != nil {
			return nil, err
		}
		found = append(found, images...)
	}
	amis := order(found)
	p.cache.Put(key, amis)
	return clone(amis), nil
}

// resolveTerm finds the images one term selects.
func (p *Provider) resolveTerm(ctx context.Context, term awsv1.AMISelectorTerm, kubernetesVersion string) ([]candidate, error) {
	switch {
	case term.Alias != "":
		return p.resolveAlias(ctx, term.Alias, kubernetesVersion)
	case term.ID != "":
		return p.describe(ctx, imageIDFilter(term.ID), nil)
	case term.SSMParameter != "":
		id, ok, err := p.parameter(ctx, term.SSMParameter)
		if err != nil || !ok {
			return nil, err
		}
		return p.describe(ctx, imageIDFilter(id), nil)
	}
	var filters []ec2types.Filter
	if term.Name != "" {
		filters = append(filters, ec2types.Filter{Name: aws.String("name"), Values: []string{term.Name}})
	}
	for _, k := range slices.Sorted(maps.Keys(term.Tags)) {
		if v := term.Tags[k]; v == "*" {
			filters = append(filters, ec2types.Filter{Name: aws.String("tag-key"), Values: []string{k}})
		} else {
			filters = append(filters, ec2types.Filter{Name: aws.String("tag:" + k), Values: []string{v}})
		}
	}
	if len(filters) == 0 {
		// An empty term would select every image the owners have; the API forbids it, so never send it.
		return nil, nil
	}
	// Without an owner, search the account's own images and Amazon's, but not the marketplace or other
	// accounts, so that a look-alike public image cannot be picked up by name.
	owners := []string{"self", "amazon"}
	if term.Owner != "" {
		owners = []string{term.Owner}
	}
	return p.describe(ctx, filters, owners)
}

func imageIDFilter(ids ...string) []ec2types.Filter {
	return []ec2types.Filter{{Name: aws.String("image-id"), Values: ids}}
}

// describe lists the available images matching filters, deprecated ones included, since a pinned release or an
// image chosen by ID must keep resolving after its deprecation date. Each comes with its architecture as a
// requirement. Filters rather than ImageIds are used so that an unknown ID selects nothing instead of failing
// the whole node class.
func (p *Provider) describe(ctx context.Context, filters []ec2types.Filter, owners []string) ([]candidate, error) {
	in := &ec2.DescribeImagesInput{
		Filters:           slices.Concat(filters, []ec2types.Filter{{Name: aws.String("state"), Values: []string{"available"}}}),
		Owners:            owners,
		IncludeDeprecated: aws.Bool(true),
	}
	now := p.clock.Now()
	var out []candidate
	pages := ec2.NewDescribeImagesPaginator(p.ec2, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing images: %w", err)
		}
		for _, im := range page.Images {
			arch, ok := kubernetesArch(im.Architecture)
			if !ok {
				continue
			}
			created, _ := time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
			out = append(out, candidate{created: created, ami: awsv1.AMI{
				ID:         aws.ToString(im.ImageId),
				Name:       aws.ToString(im.Name),
				Deprecated: deprecated(im, now),
				Requirements: []corev1.NodeSelectorRequirement{
					{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{arch}},
				},
			}})
		}
	}
	return out, nil
}

// deprecated reports whether the image's deprecation time has passed.
func deprecated(im ec2types.Image, now time.Time) bool {
	at, err := time.Parse(time.RFC3339, aws.ToString(im.DeprecationTime))
	return err == nil && !now.Before(at)
}

// order sorts images for use: not deprecated before deprecated, then newest first, then by ID so the order is
// stable. An image selected by several terms is listed once, with the requirements of the first term.
func order(found []candidate) []awsv1.AMI {
	slices.SortStableFunc(found, func(a, b candidate) int {
		if a.ami.Deprecated != b.ami.Deprecated {
			if a.ami.Deprecated {
				return 1
			}
			return -1
		}
		return cmp.Or(b.created.Compare(a.created), cmp.Compare(a.ami.ID, b.ami.ID))
	})
	out := []awsv1.AMI{}
	seen := map[string]bool{}
	for _, c := range found {
		if !seen[c.ami.ID] {
			seen[c.ami.ID] = true
			out = append(out, c.ami)
		}
	}
	return out
}

// clone deep-copies images so callers cannot change the cached answer.
func clone(amis []awsv1.AMI) []awsv1.AMI {
	out := make([]awsv1.AMI, len(amis))
	for i := range amis {
		amis[i].DeepCopyInto(&out[i])
	}
	return out
}
