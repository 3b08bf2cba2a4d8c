package awssim_test

import (
	"math"
	"testing"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

func TestSpotPriceDeterministic(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a, b := awssim.New(awssim.Options{Seed: 7}), awssim.New(awssim.Options{Seed: 7})
	other := awssim.New(awssim.Options{Seed: 8})
	differs := false
	for _, it := range []string{"m5.large", "c6g.xlarge", "r7i.2xlarge", "t3.micro"} {
		pa, okA := a.SpotPrice(it, "us-east-1a", at)
		pb, okB := b.SpotPrice(it, "us-east-1a", at)
		if !okA || !okB || pa != pb {
			t.Errorf("%s: %v (%v) and %v (%v) from servers with the same seed, want equal prices", it, pa, okA, pb, okB)
		}
		if po, _ := other.SpotPrice(it, "us-east-1a", at); po != pa {
			differs = true
		}
	}
	if !differs {
		t.Error("another seed gave the same price for every type, want the seed to matter")
	}
	if _, ok := a.SpotPrice("m5.large", "us-west-2a", at); ok {
		t.Error("priced a zone the server does not have")
	}
	if _, ok := a.SpotPrice("m5.enormous", "us-east-1a", at); ok {
		t.Error("priced an unknown type")
	}
}

func TestSpotPriceBounds(t *testing.T) {
	t.Parallel()
	sim := awssim.New(awssim.Options{Seed: 42})
	prices, _, _ := catalog.OnDemandPrices("us-east-1")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	checked := 0
	for _, f := range catalog.InstanceTypes() {
		od, ok := prices[f.Name]
		if !ok || od <= 0 {
			continue
		}
		for _, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
			for step := range 12 {
				at := start.Add(time.Duration(step) * 37 * time.Minute)
				p, ok := sim.SpotPrice(f.Name, zone, at)
				if !ok {
					t.Fatalf("%s in %s has no spot price", f.Name, zone)
				}
				// 55% to 80% off, ±3% drift, six-decimal rounding.
				low, high := od*0.20*0.97-1e-6, od*0.45*1.03+1e-6
				if p < low || p > high || p < od*0.10 {
					t.Fatalf("%s in %s at %v: spot %v for on-demand %v, want within [%v, %v]", f.Name, zone, at, p, od, low, high)
				}
				next, _ := sim.SpotPrice(f.Name, zone, at.Add(time.Minute))
				if math.Abs(next-p) > od*0.001 {
					t.Fatalf("%s in %s moved from %v to %v in a minute, want a slow drift", f.Name, zone, p, next)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no priced instance types")
	}
}

func TestSpotPriceSameDiscountAcrossAFamily(t *testing.T) {
	t.Parallel()
	sim := awssim.New(awssim.Options{})
	prices, _, _ := catalog.OnDemandPrices("us-east-1")
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	large, _ := sim.SpotPrice("m5.large", "us-east-1b", at)
	xlarge, _ := sim.SpotPrice("m5.xlarge", "us-east-1b", at)
	if r1, r2 := large/prices["m5.large"], xlarge/prices["m5.xlarge"]; math.Abs(r1-r2) > 1e-4 {
		t.Errorf("m5.large is at %.4f of on-demand and m5.xlarge at %.4f, want the family's discount for both", r1, r2)
	}
}
