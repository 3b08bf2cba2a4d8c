package pricing_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/go-logr/logr"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// TestLiveNodeModel wires every source as the controller will: instance types and zonal offerings from EC2,
// on-demand prices from the Price List API and spot prices from the spot price history.
func TestLiveNodeModel(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	sim := awssim.New(awssim.Options{Seed: 7, Clock: func() time.Time { return now }, Zones: []string{"us-east-1a", "us-east-1b"}})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	ec2Client, priceClient := ec2.NewFromConfig(cfg), awspricing.NewFromConfig(cfg)
	clk := clocktesting.NewFakeClock(now)

	facts := instancetype.NewEC2Source(ec2Client, clk, instancetype.EC2Options{Fallback: catalog.InstanceTypes()})
	offerings := instancetype.NewOfferingsSource(ec2Client, clk, instancetype.OfferingsOptions{})
	onDemand := pricing.NewOnDemand(priceClient, "us-east-1", clk, logr.Discard())
	spot := pricing.NewSpot(ec2Client, clk, logr.Discard(), pricing.SpotOptions{})
	live := pricing.NewLive(onDemand, spot)
	for name, refresh := range map[string]func() error{
		"facts": func() error { return facts.Refresh(t.Context()) }, "offerings": func() error { return offerings.Refresh(t.Context()) },
		"on-demand": func() error { return onDemand.Refresh(t.Context()) }, "spot": func() error { return spot.Refresh(t.Context()) },
	} {
		if err := refresh(); err != nil {
			t.Fatalf("refreshing %s: %v", name, err)
		}
	}
	if live.Version() != 2 {
		t.Errorf("version %d after one refresh of each price source, want 2", live.Version())
	}
	p := instancetype.NewProvider(facts, live, instancetype.Options{
		Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent, Offerings: offerings,
	})
	nc := &awsv1.EC2NodeClass{}
	types, err := p.InstanceTypes(t.Context(), instancetype.Request{NodeClass: nc, Zones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range types {
		if it.Name != "m5.large" {
			continue
		}
		found = true
		got := map[string]float64{}
		for _, o := range it.Offerings {
			got[o.CapacityType+"/"+o.Zone] = o.Price
		}
		want := map[string]float64{
			v1.CapacityTypeOnDemand + "/us-east-1a": 0.096, v1.CapacityTypeOnDemand + "/us-east-1b": 0.096,
			v1.CapacityTypeSpot + "/us-east-1a": latestSpot(t, ec2Client, "m5.large", "us-east-1a", now),
			v1.CapacityTypeSpot + "/us-east-1b": latestSpot(t, ec2Client, "m5.large", "us-east-1b", now),
		}
		if len(got) != len(want) {
			t.Errorf("m5.large offerings %v, want %v", got, want)
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("m5.large %s = %v, want %v", k, got[k], w)
			}
		}
	}
	if !found {
		t.Fatal("m5.large missing")
	}
}
