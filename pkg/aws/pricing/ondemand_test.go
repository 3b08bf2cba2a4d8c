package pricing

import (
	"maps"
	"testing"
	"time"

	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/go-logr/logr"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// simPricing runs the simulator and returns a real Price List client for it, built for us-east-1 as in
// production. Three attempts per call, since the SDK now and then fails to read a large response over a reused
// connection with one; throttling every request still fails every attempt.
func simPricing(t *testing.T) (*awssim.Server, *awspricing.Client) {
	t.Helper()
	sim := awssim.New(awssim.Options{})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	return sim, awspricing.NewFromConfig(cfg)
}

func TestOnDemandPricesEqualTheCatalog(t *testing.T) {
	_, client := simPricing(t)
	for _, region := range catalog.Regions() {
		o := NewOnDemand(client, region, clocktesting.NewFakeClock(time.Now()), logr.Discard())
		if err := o.Refresh(t.Context()); err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		want, _, _ := catalog.OnDemandPrices(region)
		maps.DeleteFunc(want, func(_ string, p float64) bool { return p <= 0 })
		// The API's own answer, not the catalog fallback, must hold every price.
		if !maps.Equal(o.prices, want) {
			t.Errorf("%s: the API gave %d prices, the catalog has %d; they differ", region, len(o.prices), len(want))
		}
		if p, ok := o.OnDemandPrice("m5.large"); !ok || p != want["m5.large"] {
			t.Errorf("%s: m5.large = %v, %t; want %v", region, p, ok, want["m5.large"])
		}
	}
}

func TestOnDemandFallsBackAndKeepsLastGood(t *testing.T) {
	sim, client := simPricing(t)
	o := NewOnDemand(client, "us-east-1", clocktesting.NewFakeClock(time.Now()), logr.Discard())
	sim.SetThrottle(1)
	if err := o.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	if p, ok := o.OnDemandPrice("m5.large"); !ok || p != 0.096 || o.Version() != 0 {
		t.Errorf("before the first success: m5.large = %v, %t (version %d); want the catalog's 0.096", p, ok, o.Version())
	}
	sim.SetThrottle(0)
	if err := o.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	loaded := len(o.prices)
	sim.SetThrottle(1)
	if err := o.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	if len(o.prices) != loaded || o.Version() != 1 {
		t.Errorf("a failed refresh left %d prices (version %d); want the last good %d (version 1)", len(o.prices), o.Version(), loaded)
	}
	// A type the API's answer leaves out keeps its catalog price.
	o.mu.Lock()
	delete(o.prices, "m5.xlarge")
	o.mu.Unlock()
	if p, ok := o.OnDemandPrice("m5.xlarge"); !ok || p != 0.192 {
		t.Errorf("m5.xlarge missing from the answer = %v, %t; want the catalog's 0.192", p, ok)
	}
	if _, ok := o.OnDemandPrice("no.such-type"); ok {
		t.Error("an unknown type was priced")
	}
}

func TestOnDemandRegionWithoutUSDollarPrices(t *testing.T) {
	_, client := simPricing(t)
	o := NewOnDemand(client, "cn-north-1", clocktesting.NewFakeClock(time.Now()), logr.Discard())
	if err := o.Refresh(t.Context()); err == nil {
		t.Error("refresh succeeded, but the region has no US-dollar prices")
	}
	if p, ok := o.OnDemandPrice("m5.large"); !ok || p != 0.096 {
		t.Errorf("m5.large = %v, %t; want the us-east-1 fallback's 0.096", p, ok)
	}
}
