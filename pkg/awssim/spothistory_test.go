package awssim_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

func TestDescribeSpotPriceHistoryFollowsTheModel(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{Seed: 3}, 1)
	now := e.clock.Now() // 03:04:05
	out, err := e.client.DescribeSpotPriceHistory(t.Context(), &ec2.DescribeSpotPriceHistoryInput{
		InstanceTypes:       []types.InstanceType{"m5.large"},
		ProductDescriptions: []string{"Linux/UNIX"},
		AvailabilityZone:    aws.String("us-east-1b"),
		StartTime:           aws.Time(now.Add(-3 * time.Hour)),
		EndTime:             aws.Time(now),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Hourly samples, newest first, down to the one in effect at the start time (00:00 for 00:04:05).
	want := []time.Time{now.Truncate(time.Hour), now.Truncate(time.Hour).Add(-time.Hour),
		now.Truncate(time.Hour).Add(-2 * time.Hour), now.Truncate(time.Hour).Add(-3 * time.Hour)}
	if len(out.SpotPriceHistory) != len(want) {
		t.Fatalf("got %d samples, want %d: %+v", len(out.SpotPriceHistory), len(want), out.SpotPriceHistory)
	}
	for i, sp := range out.SpotPriceHistory {
		price, err := strconv.ParseFloat(aws.ToString(sp.SpotPrice), 64)
		if err != nil {
			t.Fatal(err)
		}
		model, _ := e.sim.SpotPrice("m5.large", "us-east-1b", want[i])
		if !aws.ToTime(sp.Timestamp).Equal(want[i]) || price != model || sp.InstanceType != "m5.large" ||
			aws.ToString(sp.AvailabilityZone) != "us-east-1b" || sp.ProductDescription != types.RIProductDescriptionLinuxUnix {
			t.Errorf("sample %d = %s %s %s at %v: %v; want m5.large us-east-1b Linux/UNIX at %v: %v", i, sp.InstanceType,
				aws.ToString(sp.AvailabilityZone), sp.ProductDescription, aws.ToTime(sp.Timestamp), price, want[i], model)
		}
	}
}

func TestDescribeSpotPriceHistoryPages(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	now := e.clock.Now()
	in := &ec2.DescribeSpotPriceHistoryInput{
		InstanceTypes: []types.InstanceType{"m5.large", "c6g.xlarge"},
		StartTime:     aws.Time(now.Add(-3 * time.Hour)),
		MaxResults:    aws.Int32(5),
	}
	seen := map[string]bool{}
	pages := 0
	for p := ec2.NewDescribeSpotPriceHistoryPaginator(e.client, in); p.HasMorePages(); pages++ {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range out.SpotPriceHistory {
			key := string(sp.InstanceType) + " " + aws.ToString(sp.AvailabilityZone) + " " + aws.ToTime(sp.Timestamp).String()
			if seen[key] {
				t.Errorf("%s listed twice", key)
			}
			seen[key] = true
		}
	}
	// Two types, three zones, four hourly samples.
	if got, want := len(seen), 2*3*4; got != want || pages != 5 {
		t.Errorf("%d samples on %d pages, want %d on 5", got, pages, want)
	}

	current, err := e.client.DescribeSpotPriceHistory(t.Context(), &ec2.DescribeSpotPriceHistoryInput{
		Filters: []types.Filter{{Name: aws.String("instance-type"), Values: []string{"m5.*"}},
			{Name: aws.String("availability-zone"), Values: []string{"us-east-1c"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(current.SpotPriceHistory) == 0 {
		t.Fatal("no current prices for m5 in us-east-1c")
	}
	for _, sp := range current.SpotPriceHistory {
		if !aws.ToTime(sp.Timestamp).Equal(now.Truncate(time.Hour)) || aws.ToString(sp.AvailabilityZone) != "us-east-1c" {
			t.Errorf("without times: %s in %s at %v, want only the current sample in us-east-1c", sp.InstanceType,
				aws.ToString(sp.AvailabilityZone), aws.ToTime(sp.Timestamp))
		}
	}
}

func TestDescribeSpotPriceHistoryErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	now := e.clock.Now()
	for _, tc := range []struct {
		name string
		in   *ec2.DescribeSpotPriceHistoryInput
		want string
	}{
		{"unknown zone", &ec2.DescribeSpotPriceHistoryInput{AvailabilityZone: aws.String("mars-1a")}, "InvalidParameterValue"},
		{"unknown type", &ec2.DescribeSpotPriceHistoryInput{InstanceTypes: []types.InstanceType{"m5.enormous"}}, "InvalidParameterValue"},
		{"end before start", &ec2.DescribeSpotPriceHistoryInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))}, "InvalidParameterValue"},
		{"page too small", &ec2.DescribeSpotPriceHistoryInput{MaxResults: aws.Int32(2)}, "InvalidParameterValue"},
		{"bad token", &ec2.DescribeSpotPriceHistoryInput{NextToken: aws.String("nope")}, "InvalidNextToken"},
	} {
		if got := errorCode(must(e.client.DescribeSpotPriceHistory(t.Context(), tc.in))); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}
