package awssim_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

func TestDescribeInstanceTypesPaginates(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	seen := map[types.InstanceType]bool{}
	pages := 0
	paginator := ec2.NewDescribeInstanceTypesPaginator(e.client, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(100)})
	for paginator.HasMorePages() {
		out, err := paginator.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.InstanceTypes) > 100 {
			t.Fatalf("page %d has %d types, want at most MaxResults=100", pages, len(out.InstanceTypes))
		}
		for _, it := range out.InstanceTypes {
			if seen[it.InstanceType] {
				t.Fatalf("%s is on two pages", it.InstanceType)
			}
			seen[it.InstanceType] = true
		}
	}
	want := len(catalog.InstanceTypes())
	if len(seen) != want || pages != (want+99)/100 {
		t.Errorf("got %d types on %d pages, want %d types on %d pages", len(seen), pages, want, (want+99)/100)
	}

	_, err := e.client.DescribeInstanceTypes(t.Context(), &ec2.DescribeInstanceTypesInput{NextToken: aws.String("garbage")})
	if got, want := errorCode(err), "InvalidNextToken"; got != want {
		t.Errorf("bad token: error code %q, want %q", got, want)
	}
}

func TestDescribeInstanceTypesFields(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	out, err := e.client.DescribeInstanceTypes(t.Context(), &ec2.DescribeInstanceTypesInput{
		InstanceTypes: []types.InstanceType{"m5.large", "m6g.xlarge"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.InstanceTypes) != 2 {
		t.Fatalf("got %d types, want 2", len(out.InstanceTypes))
	}
	m5 := out.InstanceTypes[0]
	if m5.InstanceType != "m5.large" {
		t.Fatalf("first type = %s, want m5.large", m5.InstanceType)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"vCPUs", aws.ToInt32(m5.VCpuInfo.DefaultVCpus), int32(2)},
		{"memory MiB", aws.ToInt64(m5.MemoryInfo.SizeInMiB), int64(8192)},
		{"max ENIs", aws.ToInt32(m5.NetworkInfo.MaximumNetworkInterfaces), int32(3)},
		{"card 0 ENIs", aws.ToInt32(m5.NetworkInfo.NetworkCards[0].MaximumNetworkInterfaces), int32(3)},
		{"IPv4 per ENI", aws.ToInt32(m5.NetworkInfo.Ipv4AddressesPerInterface), int32(10)},
		{"architectures", m5.ProcessorInfo.SupportedArchitectures, []types.ArchitectureType{types.ArchitectureTypeX8664}},
		{"hypervisor", m5.Hypervisor, types.InstanceTypeHypervisorNitro},
		{"bare metal", aws.ToBool(m5.BareMetal), false},
		{"m6g architectures", out.InstanceTypes[1].ProcessorInfo.SupportedArchitectures, []types.ArchitectureType{types.ArchitectureTypeArm64}},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}

	_, err = e.client.DescribeInstanceTypes(t.Context(), &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"m5.enormous"}})
	if got, want := errorCode(err), "InvalidInstanceType"; got != want {
		t.Errorf("unknown type: error code %q, want %q", got, want)
	}
}

func TestDescribeInstanceTypesBareMetal(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	out, err := e.client.DescribeInstanceTypes(t.Context(), &ec2.DescribeInstanceTypesInput{
		InstanceTypes: []types.InstanceType{"m5.metal"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if it := out.InstanceTypes[0]; !aws.ToBool(it.BareMetal) || it.Hypervisor != "" {
		t.Errorf("m5.metal: bare metal %v, hypervisor %q; want bare metal without hypervisor", aws.ToBool(it.BareMetal), it.Hypervisor)
	}
}

func TestDescribeInstanceTypeOfferings(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	perZone := map[string]int{}
	paginator := ec2.NewDescribeInstanceTypeOfferingsPaginator(e.client, &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: types.LocationTypeAvailabilityZone,
	})
	for paginator.HasMorePages() {
		out, err := paginator.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.InstanceTypeOfferings {
			if o.LocationType != types.LocationTypeAvailabilityZone {
				t.Fatalf("offering %s has location type %q", o.InstanceType, o.LocationType)
			}
			perZone[aws.ToString(o.Location)]++
		}
	}
	want := len(catalog.InstanceTypes())
	for _, z := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		if perZone[z] != want {
			t.Errorf("%s offers %d types, want all %d", z, perZone[z], want)
		}
	}
	if len(perZone) != 3 {
		t.Errorf("offerings in %d locations, want 3", len(perZone))
	}

	out, err := e.client.DescribeInstanceTypeOfferings(t.Context(), &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: types.LocationTypeAvailabilityZone,
		Filters:      []types.Filter{{Name: aws.String("instance-type"), Values: []string{"m5.large"}}},
	})
	if err != nil || len(out.InstanceTypeOfferings) != 3 {
		t.Errorf("m5.large offerings = %d, %v; want one per zone", len(out.InstanceTypeOfferings), err)
	}
}
