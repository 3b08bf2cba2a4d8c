package awssim

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"time"
)

// Spot price model constants; the package documentation states the model.
const (
	minSpotDiscount = 0.55
	maxSpotDiscount = 0.80
	spotDrift       = 0.03
	spotDriftPeriod = 6 * time.Hour
	spotFloor       = 0.10
)

// SpotPrice returns the hourly spot price of instanceType in zone at the given time, and false when the zone is
// not one of the server's or the type has no on-demand price in its region. The price depends only on the
// on-demand price, the type's family, the zone, Options.Seed and the time; see the package documentation.
func (s *Server) SpotPrice(instanceType, zone string, at time.Time) (float64, bool) {
	if _, ok := s.zoneByName(zone); !ok {
		return 0, false
	}
	i, ok := s.typeIndex[instanceType]
	if !ok {
		return 0, false
	}
	od, ok := s.prices[instanceType]
	if !ok || od <= 0 {
		return 0, false
	}
	return spotPrice(od, s.types[i].Family, zone, s.opts.Seed, at), true
}

// spotPrice is the spot price model: a per-(family, zone, seed) discount off onDemand, drifting slowly with
// time, never below the floor.
func spotPrice(onDemand float64, family, zone string, seed int64, at time.Time) float64 {
	u, v := unitPair(family, zone, seed)
	discount := minSpotDiscount + (maxSpotDiscount-minSpotDiscount)*u
	phase := 2 * math.Pi * (float64(at.UnixNano())/float64(spotDriftPeriod) + v)
	price := onDemand * (1 - discount) * (1 + spotDrift*math.Sin(phase))
	// EC2 quotes spot prices to six decimal places.
	price = math.Round(price*1e6) / 1e6
	return max(price, onDemand*spotFloor)
}

// unitPair derives two independent numbers in [0, 1) from an FNV-1a hash of the family, zone and seed.
func unitPair(family, zone string, seed int64) (u, v float64) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(family))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(zone))
	_, _ = h.Write([]byte{0})
	_ = binary.Write(h, binary.BigEndian, seed)
	a := h.Sum64()
	_, _ = h.Write([]byte{1})
	b := h.Sum64()
	return float64(a>>11) / (1 << 53), float64(b>>11) / (1 << 53)
}
