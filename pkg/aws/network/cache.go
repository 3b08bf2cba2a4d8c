package network

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// cacheTTL is how long a resolved selector stays fresh: long enough that a burst of launches and reconciles
// costs one EC2 call, short enough that a newly tagged subnet or a filling one shows up within a minute.
const cacheTTL = time.Minute

// ttlCache holds the answers of successful lookups by key until they are cacheTTL old. Failures are never
// stored, so the next caller retries.
type ttlCache[V any] struct {
	clock   clock.PassiveClock
	mu      sync.Mutex
	entries map[string]entry[V]
}

type entry[V any] struct {
	value   V
	expires time.Time
}

func newCache[V any](clk clock.PassiveClock) *ttlCache[V] {
	return &ttlCache[V]{clock: clk, entries: map[string]entry[V]{}}
}

// get returns the fresh value for key, if any.
func (c *ttlCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.clock.Now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put stores value under key and drops expired entries, so node classes that were deleted or edited do not
// keep their answers in memory forever.
func (c *ttlCache[V]) put(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.entries[key] = entry[V]{value: value, expires: now.Add(cacheTTL)}
}

// hashOf is a stable key for selector terms: JSON sorts map keys, so equal terms hash equally whichever node
// class they come from.
func hashOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
