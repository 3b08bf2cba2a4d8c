package awssim_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	pricingtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// priceItem is the part of a price list item the tests read.
type priceItem struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	ServiceCode string `json:"serviceCode"`
	Terms       struct {
		OnDemand map[string]struct {
			OfferTermCode   string `json:"offerTermCode"`
			SKU             string `json:"sku"`
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// pricingClient returns a Price List client of the simulator of e making at most attempts attempts per call.
func pricingClient(t *testing.T, e env, attempts int) *pricing.Client {
	t.Helper()
	cfg, err := awssim.ClientConfig(t.Context(), e.url, "us-east-1", attempts)
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	return pricing.NewFromConfig(cfg)
}

func termMatch(field, value string) pricingtypes.Filter {
	return pricingtypes.Filter{Type: pricingtypes.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(value)}
}

// products pages through GetProducts with pageSize items a page and returns the decoded items and the number of
// pages.
func products(t *testing.T, c *pricing.Client, pageSize int32, filters ...pricingtypes.Filter) ([]priceItem, int) {
	t.Helper()
	in := &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), FormatVersion: aws.String("aws_v1"), Filters: filters}
	if pageSize > 0 {
		in.MaxResults = aws.Int32(pageSize)
	}
	var items []priceItem
	pages := 0
	for p := pricing.NewGetProductsPaginator(c, in); p.HasMorePages(); {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("GetProducts page %d: %v", pages+1, err)
		}
		pages++
		for _, doc := range out.PriceList {
			var it priceItem
			if err := json.Unmarshal([]byte(doc), &it); err != nil {
				t.Fatalf("price list item is not a JSON document: %v", err)
			}
			items = append(items, it)
		}
	}
	return items, pages
}

// onDemand returns the item's only on-demand price dimension's unit and prices.
func onDemand(t *testing.T, it priceItem) (string, map[string]string) {
	t.Helper()
	for code, term := range it.Terms.OnDemand {
		if code != it.Product.SKU+".JRTCKXETXF" || term.OfferTermCode != "JRTCKXETXF" || term.SKU != it.Product.SKU {
			t.Errorf("on-demand term %s (offer %s, sku %s) of SKU %s", code, term.OfferTermCode, term.SKU, it.Product.SKU)
		}
		for rate, dim := range term.PriceDimensions {
			if rate != code+".6YS6EN2CT7" {
				t.Errorf("rate code %s, want %s.6YS6EN2CT7", rate, code)
			}
			return dim.Unit, dim.PricePerUnit
		}
	}
	t.Fatalf("SKU %s has no on-demand price dimension", it.Product.SKU)
	return "", nil
}

func TestGetProductsMatchesTheCatalog(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := pricingClient(t, e, 1)
	items, _ := products(t, c, 0, termMatch("instanceType", "m5.large"), termMatch("regionCode", "us-east-1"),
		termMatch("operatingSystem", "Linux"), termMatch("tenancy", "Shared"), termMatch("preInstalledSw", "NA"),
		termMatch("capacitystatus", "Used"), termMatch("ServiceCode", "AmazonEC2"))
	if len(items) != 1 {
		t.Fatalf("%d products for m5.large in us-east-1, want 1", len(items))
	}
	it := items[0]
	attrs := it.Product.Attributes
	for k, want := range map[string]string{
		"instanceType": "m5.large", "regionCode": "us-east-1", "location": "US East (N. Virginia)", "vcpu": "2",
		"memory": "8 GiB", "operatingSystem": "Linux", "licenseModel": "No License required", "servicecode": "AmazonEC2",
	} {
		if attrs[k] != want {
			t.Errorf("attribute %s = %q, want %q", k, attrs[k], want)
		}
	}
	if it.Product.ProductFamily != "Compute Instance" || it.ServiceCode != "AmazonEC2" || len(it.Product.SKU) != 16 {
		t.Errorf("product family %q, service %q, SKU %q; want Compute Instance, AmazonEC2, 16 characters", it.Product.ProductFamily, it.ServiceCode, it.Product.SKU)
	}
	prices, _, _ := catalog.OnDemandPrices("us-east-1")
	unit, price := onDemand(t, it)
	if got, err := strconv.ParseFloat(price["USD"], 64); err != nil || unit != "Hrs" || got != prices["m5.large"] {
		t.Errorf("price %v per %s, want %v USD per Hrs", price, unit, prices["m5.large"])
	}

	// A second simulator publishes the same SKU, so prices cached by SKU stay valid across runs.
	again, _ := products(t, pricingClient(t, setup(t, awssim.Options{Seed: 7}, 1), 1), 0,
		termMatch("instanceType", "m5.large"), termMatch("regionCode", "us-east-1"))
	if len(again) != 1 || again[0].Product.SKU != it.Product.SKU {
		t.Errorf("another simulator's m5.large SKU = %+v, want %s", again, it.Product.SKU)
	}
}

func TestGetProductsCoversEveryCatalogRegion(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := pricingClient(t, e, 1)
	for region, currency := range catalog.Currencies() {
		prices, _, _ := catalog.OnDemandPrices(region)
		items, pages := products(t, c, 100, termMatch("regionCode", region))
		if len(items) != len(prices) || pages != (len(prices)+99)/100 {
			t.Errorf("%s: %d products in %d pages, want %d (one per priced type) in pages of 100", region, len(items), pages, len(prices))
		}
		skus := map[string]bool{}
		for _, it := range items {
			_, price := onDemand(t, it)
			got, err := strconv.ParseFloat(price[currency], 64)
			if want := prices[it.Product.Attributes["instanceType"]]; err != nil || got != want || len(price) != 1 {
				t.Errorf("%s %s price %v, want %v %s", region, it.Product.Attributes["instanceType"], price, want, currency)
			}
			skus[it.Product.SKU] = true
		}
		if len(skus) != len(items) {
			t.Errorf("%s: %d distinct SKUs for %d products", region, len(skus), len(items))
		}
	}
}

func TestGetProductsPaging(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := pricingClient(t, e, 1)
	filters := []pricingtypes.Filter{termMatch("regionCode", "us-east-1"), termMatch("vcpu", "2")}
	whole, _ := products(t, c, 100, filters...)
	paged, pages := products(t, c, 7, filters...)
	if len(whole) < 8 || len(paged) != len(whole) || pages != (len(whole)+6)/7 {
		t.Fatalf("%d products in pages of 7 (%d pages), %d in pages of 100; want the same, more than one page", len(paged), pages, len(whole))
	}
	for i := range whole {
		if paged[i].Product.SKU != whole[i].Product.SKU {
			t.Fatalf("product %d: %s paged, %s whole; want the same order", i, paged[i].Product.SKU, whole[i].Product.SKU)
		}
	}

	first, err := c.GetProducts(t.Context(), &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), Filters: filters, MaxResults: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	// A token is only good for the query it came from.
	_, err = c.GetProducts(t.Context(), &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), NextToken: first.NextToken})
	if bad := (*pricingtypes.InvalidNextTokenException)(nil); !errors.As(err, &bad) {
		t.Errorf("NextToken of another query: %v, want *InvalidNextTokenException", err)
	}
}

func TestGetProductsFilters(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := pricingClient(t, e, 1)
	for _, tc := range []struct {
		name   string
		filter pricingtypes.Filter
	}{
		{"unknown attribute", termMatch("flavour", "vanilla")},
		{"Windows rows do not exist", termMatch("operatingSystem", "Windows")},
		{"dedicated rows do not exist", termMatch("tenancy", "Dedicated")},
		{"values match exactly", termMatch("instanceType", "m5.larg")},
	} {
		if items, _ := products(t, c, 0, tc.filter); len(items) != 0 {
			t.Errorf("%s: %d products, want none", tc.name, len(items))
		}
	}
}

func TestGetProductsErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := pricingClient(t, e, 1)
	invalid := func(err error) bool { var x *pricingtypes.InvalidParameterException; return errors.As(err, &x) }
	notFound := func(err error) bool { var x *pricingtypes.NotFoundException; return errors.As(err, &x) }
	badToken := func(err error) bool { var x *pricingtypes.InvalidNextTokenException; return errors.As(err, &x) }
	for _, tc := range []struct {
		name string
		in   pricing.GetProductsInput
		is   func(error) bool
	}{
		{"bad filter type", pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), Filters: []pricingtypes.Filter{
			{Type: "FUZZY_MATCH", Field: aws.String("instanceType"), Value: aws.String("m5.large")}}}, invalid},
		{"MaxResults over 100", pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), MaxResults: aws.Int32(101)}, invalid},
		{"unknown format", pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), FormatVersion: aws.String("aws_v2")}, invalid},
		{"unknown service", pricing.GetProductsInput{ServiceCode: aws.String("AmazonWarpDrive")}, notFound},
		{"garbage token", pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), NextToken: aws.String("!!")}, badToken},
	} {
		if _, err := c.GetProducts(t.Context(), &tc.in); !tc.is(err) {
			t.Errorf("%s: error %v (code %q), want a different typed error", tc.name, err, errorCode(err))
		}
	}
}
