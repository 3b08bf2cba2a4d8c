package ttlcache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Cache holds values by key until they are ttl old. It is safe for concurrent use.
type Cache[V any] struct {
	clock   clock.PassiveClock
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]entry[V]
}

type entry[V any] struct {
	value   V
	expires time.Time
}

// New returns an empty Cache whose entries live for ttl.
func New[V any](clk clock.PassiveClock, ttl time.Duration) *Cache[V] {
	return &Cache[V]{clock: clk, ttl: ttl, entries: map[string]entry[V]{}}
}

// Get returns the fresh value for key, if any.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.clock.Now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put stores value under key and drops expired entries, so keys no one asks for any more (deleted or edited
// node classes) do not stay in memory.
func (c *Cache[V]) Put(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.entries[key] = entry[V]{value: value, expires: now.Add(c.ttl)}
}

// Key is a stable key for a JSON-encodable value: JSON sorts map keys, so equal values key equally.
func Key(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
