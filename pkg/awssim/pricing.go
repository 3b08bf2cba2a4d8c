package awssim

import (
	"cmp"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
)

// The Price List API's fixed codes: EC2's service code, the only response format, the offer term code of on
// demand and the rate code of its hourly price dimension.
const (
	ec2ServiceCode    = "AmazonEC2"
	priceListFormat   = "aws_v1"
	onDemandTermCode  = "JRTCKXETXF"
	hourlyRateCode    = "6YS6EN2CT7"
	maxPriceListItems = 100
)

// The version and publication time of the simulated price list; fixed, so that every run reads the same
// documents.
const (
	priceListVersion   = "20251101000000"
	priceListPublished = "2025-11-01T00:00:00Z"
)

// priceProduct is one price list entry: a Linux, shared-tenancy, on-demand instance type in one region.
type priceProduct struct {
	sku        string
	attributes map[string]string
	price      float64
	currency   string
}

// pricingRegion returns the Price List API's location name of a region and the prefix of its usage types.
func pricingRegion(region string) (location, usagePrefix string) {
	switch region {
	case "us-east-1":
		return "US East (N. Virginia)", ""
	case "us-gov-east-1":
		return "AWS GovCloud (US-East)", "UGE1-"
	case "us-gov-west-1":
		return "AWS GovCloud (US-West)", "UGW1-"
	case "cn-north-1":
		return "China (Beijing)", "CNN1-"
	}
	return region, strings.ToUpper(region) + "-"
}

// instanceFamilyName is the Price List API's coarse family of an instance type, by its category letters.
func instanceFamilyName(category string) string {
	switch category {
	case "c":
		return "Compute optimized"
	case "r", "x", "u", "z":
		return "Memory optimized"
	case "i", "d", "h", "im", "is":
		return "Storage optimized"
	case "p", "g", "gr", "f", "inf", "trn", "dl", "vt":
		return "Accelerated computing"
	}
	return "General purpose"
}

// priceProducts returns the price list, built on first use from the catalog's prices of every region (the
// Price List API is global), sorted by region and instance type; it runs with s.mu held.
func (s *Server) priceProducts() []*priceProduct {
	if s.products != nil {
		return s.products
	}
	currencies := catalog.Currencies()
	for _, region := range slices.Sorted(maps.Keys(currencies)) {
		prices, _, _ := catalog.OnDemandPrices(region)
		location, usagePrefix := pricingRegion(region)
		for _, name := range slices.Sorted(maps.Keys(prices)) {
			attrs := map[string]string{
				"servicecode": ec2ServiceCode, "servicename": "Amazon Elastic Compute Cloud",
				"instanceType": name, "regionCode": region, "location": location, "locationType": "AWS Region",
				"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
				"licenseModel": "No License required", "operation": "RunInstances", "marketoption": "OnDemand",
				"usagetype": usagePrefix + "BoxUsage:" + name, "processorArchitecture": "64-bit",
			}
			if i, ok := s.typeIndex[name]; ok {
				t := s.types[i]
				attrs["instanceFamily"] = instanceFamilyName(t.Category)
				attrs["vcpu"] = strconv.Itoa(int(t.VCPU))
				attrs["memory"] = strconv.FormatFloat(float64(t.MemoryMiB)/1024, 'f', -1, 64) + " GiB"
				if t.GPU != nil {
					attrs["gpu"] = strconv.Itoa(int(t.GPU.Count))
				}
			}
			s.products = append(s.products, &priceProduct{
				sku: priceSKU(region, name), attributes: attrs, price: prices[name], currency: currencies[region],
			})
		}
	}
	return s.products
}

// priceSKU is a product's stable SKU: 16 base-32 characters of a hash of the region and instance type.
func priceSKU(region, instanceType string) string {
	h := fnv.New128a()
	_, _ = h.Write([]byte(region + "/" + instanceType))
	return base32.StdEncoding.EncodeToString(h.Sum(nil))[:16]
}

// priceFilter is one GetProducts filter.
type priceFilter struct {
	Type  string `json:"Type"`
	Field string `json:"Field"`
	Value string `json:"Value"`
}

// matches reports whether p has the filter's field with a value the filter accepts. ServiceCode and
// productFamily are fields as well as the attributes; a field p lacks matches nothing.
func (f priceFilter) matches(p *priceProduct) bool {
	v, ok := p.attributes[f.Field]
	switch f.Field {
	case "ServiceCode":
		v, ok = ec2ServiceCode, true
	case "productFamily":
		v, ok = "Compute Instance", true
	}
	if !ok {
		return false
	}
	switch f.Type {
	case "CONTAINS":
		return strings.Contains(v, f.Value)
	case "ANY_OF":
		return slices.Contains(strings.Split(f.Value, ","), v)
	case "NONE_OF":
		return !slices.Contains(strings.Split(f.Value, ","), v)
	}
	return v == f.Value // TERM_MATCH and EQUALS
}

// getProducts answers AWSPriceListService.GetProducts for AmazonEC2, a page at a time.
func (s *Server) getProducts(body []byte, _ time.Time) (any, error) {
	var in struct {
		ServiceCode   string        `json:"ServiceCode"`
		Filters       []priceFilter `json:"Filters"`
		FormatVersion string        `json:"FormatVersion"`
		MaxResults    *int          `json:"MaxResults"`
		NextToken     string        `json:"NextToken"`
	}
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	if in.ServiceCode != ec2ServiceCode {
		return nil, clientError("NotFoundException", "The service code %q is not known to this endpoint; only %s is.", in.ServiceCode, ec2ServiceCode)
	}
	if in.FormatVersion != "" && in.FormatVersion != priceListFormat {
		return nil, clientError("InvalidParameterException", "Unsupported format version %q; use %s.", in.FormatVersion, priceListFormat)
	}
	size := maxPriceListItems
	if in.MaxResults != nil {
		if size = *in.MaxResults; size < 1 || size > maxPriceListItems {
			return nil, clientError("InvalidParameterException", "MaxResults must be between 1 and %d; got %d.", maxPriceListItems, size)
		}
	}
	for _, f := range in.Filters {
		if !slices.Contains([]string{"TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF"}, f.Type) {
			return nil, clientError("InvalidParameterException", "Unsupported filter type %q for field %q.", f.Type, f.Field)
		}
		if f.Field == "" {
			return nil, clientError("InvalidParameterException", "A filter needs a field.")
		}
	}
	var matched []*priceProduct
	for _, p := range s.priceProducts() {
		if !slices.ContainsFunc(in.Filters, func(f priceFilter) bool { return !f.matches(p) }) {
			matched = append(matched, p)
		}
	}
	query := queryKey(in.Filters)
	start := 0
	if in.NextToken != "" {
		var ok bool
		if start, ok = parsePriceToken(in.NextToken, query); !ok || start > len(matched) {
			return nil, clientError("InvalidNextTokenException", "The pagination token is invalid for this query.")
		}
	}
	end := min(start+size, len(matched))
	out := struct {
		FormatVersion string   `json:"FormatVersion"`
		PriceList     []string `json:"PriceList"`
		NextToken     string   `json:"NextToken,omitempty"`
	}{FormatVersion: priceListFormat, PriceList: []string{}}
	for _, p := range matched[start:end] {
		doc, err := p.document()
		if err != nil {
			return nil, fmt.Errorf("encoding price list item %s: %w", p.sku, err)
		}
		out.PriceList = append(out.PriceList, doc)
	}
	if end < len(matched) {
		out.NextToken = priceToken(end, query)
	}
	return out, nil
}

// queryKey identifies a query's filters, order aside, so that a token is only honoured for its own query.
func queryKey(filters []priceFilter) string {
	parts := make([]string, 0, len(filters))
	for _, f := range filters {
		parts = append(parts, f.Type+"\x00"+f.Field+"\x00"+f.Value)
	}
	slices.Sort(parts)
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.Join(parts, "\x01")))
	return strconv.FormatUint(h.Sum64(), 36)
}

// priceToken is an opaque token for the page starting at offset of the query.
func priceToken(offset int, query string) string {
	return base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(offset) + ":" + query))
}

// parsePriceToken returns the offset in a token of the query, and false when it is malformed or of another query.
func parsePriceToken(token, query string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	offset, q, _ := strings.Cut(string(raw), ":")
	n, err := strconv.Atoi(offset)
	return n, err == nil && n >= 0 && q == query
}

// priceDimension, offerTerm and priceDocument are the shape of a price list item: a JSON document with the
// product, its terms and the version of the price list.
type priceDimension struct {
	RateCode     string            `json:"rateCode"`
	Description  string            `json:"description"`
	BeginRange   string            `json:"beginRange"`
	EndRange     string            `json:"endRange"`
	Unit         string            `json:"unit"`
	PricePerUnit map[string]string `json:"pricePerUnit"`
	AppliesTo    []string          `json:"appliesTo"`
}

type offerTerm struct {
	OfferTermCode   string                    `json:"offerTermCode"`
	SKU             string                    `json:"sku"`
	EffectiveDate   string                    `json:"effectiveDate"`
	PriceDimensions map[string]priceDimension `json:"priceDimensions"`
	TermAttributes  map[string]string         `json:"termAttributes"`
}

type priceDocument struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	ServiceCode string `json:"serviceCode"`
	Terms       struct {
		OnDemand map[string]offerTerm `json:"OnDemand"`
	} `json:"terms"`
	Version         string `json:"version"`
	PublicationDate string `json:"publicationDate"`
}

// document renders p as a price list item.
func (p *priceProduct) document() (string, error) {
	var d priceDocument
	d.Product.ProductFamily = "Compute Instance"
	d.Product.Attributes = p.attributes
	d.Product.SKU = p.sku
	d.ServiceCode = ec2ServiceCode
	d.Version = priceListVersion
	d.PublicationDate = priceListPublished
	term := p.sku + "." + onDemandTermCode
	rate := term + "." + hourlyRateCode
	symbol := cmp.Or(map[string]string{"USD": "$"}[p.currency], p.currency+" ")
	d.Terms.OnDemand = map[string]offerTerm{term: {
		OfferTermCode: onDemandTermCode, SKU: p.sku, EffectiveDate: priceListPublished,
		TermAttributes: map[string]string{},
		PriceDimensions: map[string]priceDimension{rate: {
			RateCode: rate, BeginRange: "0", EndRange: "Inf", Unit: "Hrs", AppliesTo: []string{},
			Description:  fmt.Sprintf("%s%s per On Demand Linux %s Instance Hour", symbol, strconv.FormatFloat(p.price, 'f', -1, 64), p.attributes["instanceType"]),
			PricePerUnit: map[string]string{p.currency: strconv.FormatFloat(p.price, 'f', 10, 64)},
		}},
	}}
	b, err := json.Marshal(d)
	return string(b), err
}
