package catalog

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
)

func TestLookupMisses(t *testing.T) {
	for _, name := range []string{
		"",
		"m5.huge",
		"g2.2xlarge",  // priced, but the sources give no vCPU or memory
		"mac1.metal",  // in eni-max-pods.txt only
		"cc2.8xlarge", // in the price table only
	} {
		if f, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) = %+v, true; want nothing", name, f)
		}
	}
}

func TestInstanceTypesAreSortedAndFoundByLookup(t *testing.T) {
	types := InstanceTypes()
	if !slices.IsSortedFunc(types, func(a, b instancetype.Facts) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("InstanceTypes() is not sorted by name")
	}
	for _, f := range types {
		if _, ok := Lookup(f.Name); !ok {
			t.Errorf("Lookup(%q) found nothing, but InstanceTypes() lists it", f.Name)
		}
	}
}

// TestResultsAreCopies changes everything the API hands out and checks that the catalog did not change.
func TestResultsAreCopies(t *testing.T) {
	types := InstanceTypes()
	for i := range types {
		types[i].VCPU = -1
		if types[i].GPU != nil {
			types[i].GPU.Count = -1
		}
	}
	p4d, _ := Lookup("p4d.24xlarge")
	p4d.GPU.Name = "changed"
	prices, _, _ := OnDemandPrices("us-east-1")
	prices["m5.large"] = -1
	Currencies()["cn-north-1"] = "USD"
	Provenance().Sources[0].Rows = -1

	if f, _ := Lookup("p4d.24xlarge"); f.VCPU != 96 || f.GPU.Count != 8 || f.GPU.Name != "a100" {
		t.Errorf("Lookup(p4d.24xlarge) after changing earlier results = %+v, GPU %+v", f, *f.GPU)
	}
	if got := InstanceTypes()[0].VCPU; got <= 0 {
		t.Errorf("InstanceTypes()[0].VCPU after changing an earlier result = %d", got)
	}
	if prices, _, _ := OnDemandPrices("us-east-1"); prices["m5.large"] != 0.096 {
		t.Errorf("m5.large us-east-1 price after changing an earlier result = %v", prices["m5.large"])
	}
	if got := Currencies()["cn-north-1"]; got != "CNY" {
		t.Errorf("cn-north-1 currency after changing an earlier result = %q", got)
	}
	if got := Provenance().Sources[0].Rows; got <= 0 {
		t.Errorf("provenance rows after changing an earlier result = %d", got)
	}
}

func TestOnDemandPrices(t *testing.T) {
	tests := []struct {
		region, instanceType string
		want                 float64 // 0: not sold there
		currency             string
	}{
		{"us-east-1", "m5.large", 0.096, USD},
		{"us-east-1", "g2.2xlarge", 0.65, USD}, // priced, though InstanceTypes leaves it out
		{"us-east-1", "hpc7a.12xlarge", 0, USD},
		{"us-gov-east-1", "m5.large", 0.121, USD},
		{"us-gov-west-1", "hpc7a.12xlarge", 8.6674, USD},
		{"us-gov-west-1", "cc2.8xlarge", 2.25, USD},
		{"cn-north-1", "m5.large", 1.013, "CNY"},
		{"cn-north-1", "p4d.24xlarge", 0, "CNY"},
	}
	for _, tt := range tests {
		prices, currency, ok := OnDemandPrices(tt.region)
		if !ok || currency != tt.currency {
			t.Fatalf("OnDemandPrices(%q) = _, %q, %t; want %q, true", tt.region, currency, ok, tt.currency)
		}
		if got, sold := prices[tt.instanceType]; got != tt.want || sold != (tt.want != 0) {
			t.Errorf("OnDemandPrices(%q)[%q] = %v, %t; want %v", tt.region, tt.instanceType, got, sold, tt.want)
		}
	}
	if prices, currency, ok := OnDemandPrices("eu-west-1"); ok || prices != nil || currency != "" {
		t.Errorf("OnDemandPrices(eu-west-1) = %d prices, %q, %t; want nothing", len(prices), currency, ok)
	}
}

func TestRegionsAndCurrencies(t *testing.T) {
	if got, want := Regions(), []string{"us-east-1", "us-gov-east-1", "us-gov-west-1"}; !slices.Equal(got, want) {
		t.Errorf("Regions() = %q, want %q", got, want)
	}
	want := map[string]string{"cn-north-1": "CNY", "us-east-1": USD, "us-gov-east-1": USD, "us-gov-west-1": USD}
	if got := Currencies(); !maps.Equal(got, want) {
		t.Errorf("Currencies() = %v, want %v", got, want)
	}
}

func TestDecodeRejectsMalformedCatalogs(t *testing.T) {
	tests := []struct {
		name, data, wantErr string
	}{
		{"well formed", `{"currencies": {"us-east-1": "USD"}, "instanceTypes": [{"name": "a.large"}, {"name": "b.large"}],
			"onDemandPrices": {"us-east-1": {"a.large": 1}}}`, ""},
		{"not JSON", `{"instanceTypes": [`, "unexpected EOF"},
		{"unknown field", `{"instanceTypes": [{"name": "a.large", "ipv6PerENI": 2}]}`, `unknown field "ipv6PerENI"`},
		{"unsorted", `{"instanceTypes": [{"name": "b.large"}, {"name": "a.large"}]}`, "a.large follows b.large"},
		{"duplicate", `{"instanceTypes": [{"name": "a.large"}, {"name": "a.large"}]}`, "a.large follows a.large"},
		{"price without currency", `{"onDemandPrices": {"cn-north-1": {"a.large": 1}}}`, "cn-north-1 has prices but no currency"},
		{"trailing data", `{} {}`, "data after the catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode([]byte(tt.data))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("decode() = %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("decode() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// BenchmarkInstanceTypes measures the first call's cost: decoding the embedded file, which later calls reuse.
func BenchmarkInstanceTypes(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(embedded); err != nil {
			b.Fatal(err)
		}
	}
}
