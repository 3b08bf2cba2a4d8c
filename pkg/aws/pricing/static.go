package pricing

import (
	"github.com/go-logr/logr"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
)

// FallbackRegion is the region whose prices stand in for a region the catalog does not price in US dollars.
const FallbackRegion = "us-east-1"

// SpotSource gives the current spot price of a type in a zone.
type SpotSource interface {
	SpotPrice(instanceType, zone string) (float64, bool)
}

// Static prices on-demand offerings from the embedded catalog and spot offerings from a SpotSource.
type Static struct {
	region   string
	onDemand map[string]float64
	spot     SpotSource
}

var _ instancetype.Pricing = (*Static)(nil)

// NewStatic returns on-demand prices for region. When the catalog has no US-dollar prices for it, the
// prices of FallbackRegion are used and a warning is logged, since a wrong price beats launching nothing.
// spot may be nil: then no spot offerings are priced.
func NewStatic(region string, spot SpotSource, log logr.Logger) *Static {
	prices, currency, ok := catalog.OnDemandPrices(region)
	if !ok || currency != catalog.USD {
		log.Info("no US-dollar on-demand prices for region in the catalog; using another region's prices",
			"region", region, "fallbackRegion", FallbackRegion)
		prices, _, _ = catalog.OnDemandPrices(FallbackRegion)
	}
	return &Static{region: region, onDemand: prices, spot: spot}
}

// OnDemandPrice is the type's on-demand price per hour.
func (s *Static) OnDemandPrice(instanceType string) (float64, bool) {
	p, ok := s.onDemand[instanceType]
	return p, ok && p > 0
}

// SpotPrice is the type's spot price per hour in the zone, from the spot source.
func (s *Static) SpotPrice(instanceType, zone string) (float64, bool) {
	if s.spot == nil {
		return 0, false
	}
	return s.spot.SpotPrice(instanceType, zone)
}
