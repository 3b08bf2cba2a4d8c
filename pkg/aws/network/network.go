package network

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/aws/ttlcache"
)

// EC2API is the part of the EC2 client the provider calls.
type EC2API interface {
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

// Subnet is a subnet a node class launches into.
type Subnet struct {
	// ID is the subnet's ID, subnet-0123456789abcdef0.
	ID string
	// Zone is the subnet's availability zone, us-east-1a; it becomes a zone NodePools may use.
	Zone string
	// ZoneID is the zone's account-independent ID, use1-az1.
	ZoneID string
	// AvailableIPs is how many addresses the subnet had free when it was described; a launch into a full
	// subnet fails, so the fleet request prefers subnets with room.
	AvailableIPs int64
}

// Status is the subnet as the node class status records it.
func (s Subnet) Status() awsv1.Subnet { return awsv1.Subnet{ID: s.ID, Zone: s.Zone, ZoneID: s.ZoneID} }

// Fleet is the subnet as a launch override candidate.
func (s Subnet) Fleet() fleet.Subnet {
	return fleet.Subnet{ID: s.ID, Zone: s.Zone, AvailableIPs: s.AvailableIPs}
}

// Provider resolves subnet and security group selector terms. It is safe for concurrent use.
type Provider struct {
	client EC2API
	subnet *ttlcache.Cache[[]Subnet]
	group  *ttlcache.Cache[[]awsv1.SecurityGroup]
}

// New returns a provider that calls client and ages its cache with clk.
func New(client EC2API, clk clock.Clock) *Provider {
	return &Provider{client: client, subnet: ttlcache.New[[]Subnet](clk, cacheTTL), group: ttlcache.New[[]awsv1.SecurityGroup](clk, cacheTTL)}
}

// Subnets returns the available subnets any of the node class's terms select, sorted by zone then ID. A term
// that selects nothing adds nothing; no subnet at all is an empty slice, not an error.
func (p *Provider) Subnets(ctx context.Context, nc *awsv1.EC2NodeClass) ([]Subnet, error) {
	terms := nc.Spec.SubnetSelectorTerms
	key, err := ttlcache.Key(terms)
	if err != nil {
		return nil, fmt.Errorf("hashing subnet selector terms: %w", err)
	}
	if cached, ok := p.subnet.Get(key); ok {
		return slices.Clone(cached), nil
	}
	byID := map[string]Subnet{}
	for _, term := range terms {
		if term.ID == "" && len(term.Tags) == 0 {
			// An empty term would select every subnet in the account; the API forbids it, so never send it.
			continue
		}
		filters := []ec2types.Filter{filter("state", "available")}
		if term.ID != "" {
			filters = append(filters, filter("subnet-id", term.ID))
		}
		filters = append(filters, tagFilters(term.Tags)...)
		pages := ec2.NewDescribeSubnetsPaginator(p.client, &ec2.DescribeSubnetsInput{Filters: filters})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing subnets: %w", err)
			}
			for _, s := range out.Subnets {
				id := aws.ToString(s.SubnetId)
				byID[id] = Subnet{
					ID: id, Zone: aws.ToString(s.AvailabilityZone), ZoneID: aws.ToString(s.AvailabilityZoneId),
					AvailableIPs: int64(aws.ToInt32(s.AvailableIpAddressCount)),
				}
			}
		}
	}
	subnets := slices.SortedFunc(maps.Values(byID), func(a, b Subnet) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.ID, b.ID))
	})
	if subnets == nil {
		subnets = []Subnet{}
	}
	p.subnet.Put(key, subnets)
	return slices.Clone(subnets), nil
}

// SecurityGroups returns the security groups any of the node class's terms select (by tags, id or name),
// sorted by ID. No group at all is an empty slice, not an error.
func (p *Provider) SecurityGroups(ctx context.Context, nc *awsv1.EC2NodeClass) ([]awsv1.SecurityGroup, error) {
	terms := nc.Spec.SecurityGroupSelectorTerms
	key, err := ttlcache.Key(terms)
	if err != nil {
		return nil, fmt.Errorf("hashing security group selector terms: %w", err)
	}
	if cached, ok := p.group.Get(key); ok {
		return slices.Clone(cached), nil
	}
	byID := map[string]awsv1.SecurityGroup{}
	for _, term := range terms {
		var filters []ec2types.Filter
		if term.ID != "" {
			filters = append(filters, filter("group-id", term.ID))
		}
		if term.Name != "" {
			filters = append(filters, filter("group-name", term.Name))
		}
		filters = append(filters, tagFilters(term.Tags)...)
		if len(filters) == 0 {
			// An empty term would select every group in the account; the API forbids it, so never send it.
			continue
		}
		pages := ec2.NewDescribeSecurityGroupsPaginator(p.client, &ec2.DescribeSecurityGroupsInput{Filters: filters})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing security groups: %w", err)
			}
			for _, g := range out.SecurityGroups {
				id := aws.ToString(g.GroupId)
				byID[id] = awsv1.SecurityGroup{ID: id, Name: aws.ToString(g.GroupName)}
			}
		}
	}
	groups := slices.SortedFunc(maps.Values(byID), func(a, b awsv1.SecurityGroup) int { return cmp.Compare(a.ID, b.ID) })
	if groups == nil {
		groups = []awsv1.SecurityGroup{}
	}
	p.group.Put(key, groups)
	return slices.Clone(groups), nil
}

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

// tagFilters turns a selector's tags into filters EC2 ANDs together: "*" asks only that the key be present.
// Keys are sorted so the same term always makes the same request.
func tagFilters(tags map[string]string) []ec2types.Filter {
	var out []ec2types.Filter
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if v := tags[k]; v == "*" {
			out = append(out, filter("tag-key", k))
		} else {
			out = append(out, filter("tag:"+k, v))
		}
	}
	return out
}
