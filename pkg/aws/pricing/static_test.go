package pricing

import (
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

type fixedSpot float64

func (f fixedSpot) SpotPrice(string, string) (float64, bool) { return float64(f), true }

func TestStaticPrices(t *testing.T) {
	p := NewStatic("us-gov-west-1", fixedSpot(0.01), logr.Discard())
	if price, ok := p.OnDemandPrice("m5.large"); !ok || price <= 0.096 {
		t.Errorf("GovCloud m5.large = %v, %v; want its own (higher) price", price, ok)
	}
	if _, ok := p.OnDemandPrice("no.such-type"); ok {
		t.Error("an unknown type was priced")
	}
	if price, ok := p.SpotPrice("m5.large", "us-gov-west-1a"); !ok || price != 0.01 {
		t.Errorf("spot = %v, %v; want the spot source's price", price, ok)
	}
}

func TestUnknownRegionFallsBackToUSEast1(t *testing.T) {
	var logged []string
	log := funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{})
	for _, region := range []string{"eu-central-1", "cn-north-1"} {
		logged = nil
		p := NewStatic(region, nil, log)
		if price, ok := p.OnDemandPrice("m5.large"); !ok || price != 0.096 {
			t.Errorf("%s: m5.large = %v, %v; want the us-east-1 price 0.096 in US dollars", region, price, ok)
		}
		if len(logged) != 1 {
			t.Errorf("%s: want one warning about the fallback, got %q", region, logged)
		}
	}
	if _, ok := NewStatic("us-east-1", nil, logr.Discard()).SpotPrice("m5.large", "us-east-1a"); ok {
		t.Error("a spot price without a spot source")
	}
}
