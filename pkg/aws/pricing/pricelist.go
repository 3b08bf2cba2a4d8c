package pricing

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// priceDocument is the part of one Price List API product document (a GetProducts PriceList entry, format
// aws_v1) that holds an EC2 instance type's on-demand price:
//
//	{"product": {"attributes": {"instanceType": "m5.large", ...}, ...},
//	 "terms": {"OnDemand": {"<sku>.<offer term>": {"priceDimensions": {"<sku>.<offer term>.<rate>":
//	     {"unit": "Hrs", "pricePerUnit": {"USD": "0.0960000000"}, ...}}, ...}}, "Reserved": {...}}}
type priceDocument struct {
	Product struct {
		Attributes struct {
			InstanceType string `json:"instanceType"`
		} `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// parsePrice reads the instance type and its hourly on-demand price in US dollars from one product document.
// ok is false for a product with no instance type or no positive US-dollar on-demand price (a dedicated-host
// or a not-yet-priced SKU): those are not errors, there is just nothing to learn from them. When a product has
// several on-demand prices the lowest is taken, so the answer does not depend on map order.
func parsePrice(doc string) (instanceType string, price float64, ok bool, err error) {
	var d priceDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return "", 0, false, fmt.Errorf("decoding a price list entry: %w", err)
	}
	for _, term := range d.Terms.OnDemand {
		for _, dim := range term.PriceDimensions {
			usd, found := dim.PricePerUnit["USD"]
			if !found {
				continue
			}
			p, err := strconv.ParseFloat(usd, 64)
			if err != nil {
				return "", 0, false, fmt.Errorf("decoding the price of %s: %w", d.Product.Attributes.InstanceType, err)
			}
			if p > 0 && !math.IsInf(p, 0) && (!ok || p < price) {
				price, ok = p, true
			}
		}
	}
	instanceType = d.Product.Attributes.InstanceType
	return instanceType, price, ok && instanceType != "", nil
}
