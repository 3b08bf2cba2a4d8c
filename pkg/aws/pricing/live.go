package pricing

import "github.com/stevedore-dev/stevedore/pkg/aws/instancetype"

// Live prices offerings from the AWS APIs: on-demand from the Price List API (OnDemand) and spot from the spot
// price history (Spot). Both fall back on their own; see them.
type Live struct {
	onDemand *OnDemand
	spot     *Spot
}

var (
	_ instancetype.Pricing   = (*Live)(nil)
	_ instancetype.Versioned = (*Live)(nil)
)

// NewLive combines the two sources; their Start loops are the caller's to run.
func NewLive(onDemand *OnDemand, spot *Spot) *Live {
	return &Live{onDemand: onDemand, spot: spot}
}

// OnDemandPrice is the type's on-demand price per hour.
func (l *Live) OnDemandPrice(instanceType string) (float64, bool) {
	return l.onDemand.OnDemandPrice(instanceType)
}

// SpotPrice is the type's spot price per hour in the zone.
func (l *Live) SpotPrice(instanceType, zone string) (float64, bool) {
	return l.spot.SpotPrice(instanceType, zone)
}

// Version changes whenever either source's prices change. Each source's version only grows, so their sum does.
func (l *Live) Version() uint64 {
	return l.onDemand.Version() + l.spot.Version()
}
