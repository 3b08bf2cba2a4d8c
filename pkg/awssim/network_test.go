package awssim_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

func tagFilter(key, value string) types.Filter {
	return types.Filter{Name: aws.String("tag:" + key), Values: []string{value}}
}

func TestDescribeAvailabilityZones(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{Region: "eu-west-1"}, 1)
	out, err := e.client.DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names, ids []string
	for _, z := range out.AvailabilityZones {
		names = append(names, aws.ToString(z.ZoneName))
		ids = append(ids, aws.ToString(z.ZoneId))
		if z.State != types.AvailabilityZoneStateAvailable || aws.ToString(z.RegionName) != "eu-west-1" {
			t.Errorf("zone %s: state %q region %q, want available in eu-west-1", aws.ToString(z.ZoneName), z.State, aws.ToString(z.RegionName))
		}
	}
	if want := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}; !slices.Equal(names, want) {
		t.Errorf("zones = %v, want %v", names, want)
	}
	if want := []string{"euw1-az1", "euw1-az2", "euw1-az3"}; !slices.Equal(ids, want) {
		t.Errorf("zone IDs = %v, want %v", ids, want)
	}
}

func TestDescribeSubnetsByTag(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{ClusterName: "blue"}, 1)
	tests := []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{name: "cluster tag", filters: []types.Filter{tagFilter("stevedore.dev/discovery", "blue")}, want: 3},
		{name: "wildcard", filters: []types.Filter{tagFilter("stevedore.dev/discovery", "b*")}, want: 3},
		{name: "other cluster", filters: []types.Filter{tagFilter("stevedore.dev/discovery", "green")}, want: 0},
		{name: "tag-key", filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"stevedore.dev/discovery"}}}, want: 3},
		{name: "zone", filters: []types.Filter{{Name: aws.String("availability-zone"), Values: []string{"us-east-1b"}}}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{Filters: tt.filters})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(out.Subnets); got != tt.want {
				t.Fatalf("got %d subnets, want %d", got, tt.want)
			}
		})
	}

	out, err := e.client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{Filters: tests[0].filters})
	if err != nil {
		t.Fatal(err)
	}
	first := out.Subnets[0]
	if aws.ToString(first.AvailabilityZone) != "us-east-1a" || aws.ToInt32(first.AvailableIpAddressCount) != 4091 ||
		aws.ToString(first.CidrBlock) != "10.0.0.0/20" || aws.ToString(first.VpcId) == "" {
		t.Errorf("first subnet = zone %s, %d free, %s in %s; want us-east-1a, 4091 free, 10.0.0.0/20 in a VPC",
			aws.ToString(first.AvailabilityZone), aws.ToInt32(first.AvailableIpAddressCount), aws.ToString(first.CidrBlock), aws.ToString(first.VpcId))
	}
	byID, err := e.client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{SubnetIds: []string{aws.ToString(first.SubnetId)}})
	if err != nil || len(byID.Subnets) != 1 {
		t.Fatalf("DescribeSubnets by ID = %d subnets, %v; want 1", len(byID.Subnets), err)
	}
	_, err = e.client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}})
	if got, want := errorCode(err), "InvalidSubnetID.NotFound"; got != want {
		t.Errorf("unknown subnet: error code %q, want %q", got, want)
	}
	_, err = e.client.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
	if got, want := errorCode(err), "InvalidParameterValue"; got != want {
		t.Errorf("unknown filter: error code %q, want %q", got, want)
	}
}

func TestDescribeSecurityGroupsByTag(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	out, err := e.client.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{tagFilter("stevedore.dev/discovery", "sandbox")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecurityGroups) != 1 {
		t.Fatalf("got %d security groups, want 1", len(out.SecurityGroups))
	}
	if g := out.SecurityGroups[0]; aws.ToString(g.GroupName) != "sandbox-nodes" || aws.ToString(g.GroupId) == "" {
		t.Errorf("group = %s (%s), want sandbox-nodes with an ID", aws.ToString(g.GroupName), aws.ToString(g.GroupId))
	}
	none, err := e.client.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{tagFilter("stevedore.dev/discovery", "other")},
	})
	if err != nil || len(none.SecurityGroups) != 0 {
		t.Errorf("other cluster: %d groups, %v; want none", len(none.SecurityGroups), err)
	}
}
