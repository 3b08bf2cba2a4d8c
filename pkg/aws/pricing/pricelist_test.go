package pricing

import (
	"testing"
)

func TestParsePrice(t *testing.T) {
	doc := func(terms string) string {
		return `{"product":{"productFamily":"Compute Instance","attributes":{"instanceType":"m5.large","regionCode":"us-east-1"},"sku":"ABC"},` +
			`"serviceCode":"AmazonEC2","terms":{"OnDemand":` + terms + `,"Reserved":{"ABC.X":{"priceDimensions":{"ABC.X.Y":{"unit":"Quantity","pricePerUnit":{"USD":"0.0100000000"}}}}}}}`
	}
	tests := []struct {
		name      string
		doc       string
		wantPrice float64
		wantOK    bool
		wantErr   bool
	}{
		{name: "one hourly price", doc: doc(`{"ABC.JRTCKXETXF":{"priceDimensions":{"ABC.JRTCKXETXF.6YS6EN2CT7":{"unit":"Hrs","pricePerUnit":{"USD":"0.0960000000"}}}}}`), wantPrice: 0.096, wantOK: true},
		{name: "the lowest of several", doc: doc(`{"A.1":{"priceDimensions":{"A.1.1":{"pricePerUnit":{"USD":"0.2"}},"A.1.2":{"pricePerUnit":{"USD":"0.1"}}}},"A.2":{"priceDimensions":{"A.2.1":{"pricePerUnit":{"USD":"0.15"}}}}}`), wantPrice: 0.1, wantOK: true},
		{name: "zero is no price", doc: doc(`{"A.1":{"priceDimensions":{"A.1.1":{"pricePerUnit":{"USD":"0.0000000000"}}}}}`)},
		{name: "another currency is no price", doc: doc(`{"A.1":{"priceDimensions":{"A.1.1":{"pricePerUnit":{"CNY":"0.6"}}}}}`)},
		{name: "reserved only is no price", doc: doc(`{}`)},
		{name: "no instance type", doc: `{"product":{"attributes":{}},"terms":{"OnDemand":{"A.1":{"priceDimensions":{"A.1.1":{"pricePerUnit":{"USD":"1"}}}}}}}`},
		{name: "infinite is no price", doc: doc(`{"A.1":{"priceDimensions":{"A.1.1":{"pricePerUnit":{"USD":"Inf"}}}}}`)},
		{name: "not a number", doc: doc(`{"A.1":{"priceDimensions":{"A.1.1":{"pricePerUnit":{"USD":"cheap"}}}}}`), wantErr: true},
		{name: "not JSON", doc: `{"product":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, price, ok, err := parsePrice(tt.doc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %t", err, tt.wantErr)
			}
			if ok != tt.wantOK || price != tt.wantPrice && tt.wantOK {
				t.Errorf("got %s %v %t, want %v %t", name, price, ok, tt.wantPrice, tt.wantOK)
			}
			if ok && name != "m5.large" {
				t.Errorf("instance type %q, want m5.large", name)
			}
		})
	}
}

func FuzzParsePrice(f *testing.F) {
	f.Add(`{"product":{"attributes":{"instanceType":"m5.large"}},"terms":{"OnDemand":{"A":{"priceDimensions":{"B":{"pricePerUnit":{"USD":"0.096"}}}}}}}`)
	f.Add(`{"terms":{"OnDemand":null}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		name, price, ok, err := parsePrice(doc)
		if ok && (err != nil || name == "" || !(price > 0) || price > 1e308) {
			t.Errorf("ok with %q %v %v", name, price, err)
		}
	})
}
