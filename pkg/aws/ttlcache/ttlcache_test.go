package ttlcache_test

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/ttlcache"
)

func TestEntriesExpire(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := ttlcache.New[string](clk, time.Minute)
	c.Put("a", "1")
	if v, ok := c.Get("a"); !ok || v != "1" {
		t.Fatalf("Get(a) = %q, %v right after Put", v, ok)
	}
	clk.Step(59 * time.Second)
	if _, ok := c.Get("a"); !ok {
		t.Error("expired before its TTL")
	}
	clk.Step(time.Second)
	if _, ok := c.Get("a"); ok {
		t.Error("still fresh at its TTL")
	}
	if _, ok := c.Get("never"); ok {
		t.Error("an unknown key is fresh")
	}
}

func TestKeyIgnoresMapOrder(t *testing.T) {
	a, err := ttlcache.Key(map[string]string{"x": "1", "y": "2"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ttlcache.Key(map[string]string{"y": "2", "x": "1"})
	c, _ := ttlcache.Key(map[string]string{"x": "1", "y": "3"})
	if a != b || a == c {
		t.Errorf("keys: equal maps %v, different maps %v", a == b, a != c)
	}
}
