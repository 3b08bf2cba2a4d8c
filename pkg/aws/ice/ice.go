package ice

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// DefaultTTL is how long an offering stays unavailable after an insufficient-capacity error.
const DefaultTTL = 3 * time.Minute

// codes are the EC2 error codes that mean "no capacity for this offering right now", as opposed to a request
// that is wrong.
var codes = map[string]bool{
	"InsufficientInstanceCapacity":         true,
	"InsufficientHostCapacity":             true,
	"InsufficientReservedInstanceCapacity": true,
	"InsufficientCapacityOnHost":           true,
	"InsufficientFreeAddressesInSubnet":    true,
	"MaxSpotInstanceCountExceeded":         true,
	"SpotMaxPriceTooLow":                   true,
	"UnfulfillableCapacity":                true,
	"VcpuLimitExceeded":                    true,
	"Unsupported":                          true,
	"ReservationCapacityExceeded":          true,
}

// IsCapacityError reports whether an EC2 error code means the offering has no capacity now.
func IsCapacityError(code string) bool { return codes[code] }

type key struct{ capacityType, instanceType, zone string }

// Cache is a set of unavailable offerings, each expiring after the TTL. It is safe for concurrent use.
type Cache struct {
	mu      sync.RWMutex
	clock   clock.PassiveClock
	ttl     time.Duration
	until   map[key]time.Time
	version uint64
}

// New returns an empty cache; ttl <= 0 means DefaultTTL.
func New(clk clock.PassiveClock, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Cache{clock: clk, ttl: ttl, until: map[key]time.Time{}}
}

// MarkUnavailable records that EC2 had no capacity for the offering.
func (c *Cache) MarkUnavailable(capacityType, instanceType, zone string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until[key{capacityType, instanceType, zone}] = c.clock.Now().Add(c.ttl)
	c.version++
}

// IsUnavailable reports whether the offering is marked and its mark has not expired.
func (c *Cache) IsUnavailable(capacityType, instanceType, zone string) bool {
	c.mu.RLock()
	until, ok := c.until[key{capacityType, instanceType, zone}]
	c.mu.RUnlock()
	return ok && c.clock.Now().Before(until)
}

// Version changes whenever an offering is marked, so callers can tell when derived data (such as cached
// instance types) must be rebuilt. Expiry does not change it; callers that cache should also bound their age
// by the TTL.
func (c *Cache) Version() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.version
}

// Prune forgets expired marks, bounding memory on long-running controllers.
func (c *Cache) Prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	for k, until := range c.until {
		if !now.Before(until) {
			delete(c.until, k)
		}
	}
}
