package ice

import (
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

func TestMarksExpire(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := New(clk, 0)
	c.MarkUnavailable("spot", "m5.large", "us-east-1a")
	if !c.IsUnavailable("spot", "m5.large", "us-east-1a") {
		t.Fatal("a marked offering is available")
	}
	for _, other := range [][3]string{{"on-demand", "m5.large", "us-east-1a"}, {"spot", "m5.xlarge", "us-east-1a"}, {"spot", "m5.large", "us-east-1b"}} {
		if c.IsUnavailable(other[0], other[1], other[2]) {
			t.Errorf("%v marked too: the mark is per capacity type, type and zone", other)
		}
	}
	v := c.Version()
	clk.Step(DefaultTTL - time.Second)
	if !c.IsUnavailable("spot", "m5.large", "us-east-1a") {
		t.Error("the mark expired early")
	}
	clk.Step(time.Second)
	if c.IsUnavailable("spot", "m5.large", "us-east-1a") {
		t.Error("the mark outlived its TTL")
	}
	c.Prune()
	if len(c.until) != 0 || c.Version() != v {
		t.Errorf("prune left %d marks, version %d -> %d", len(c.until), v, c.Version())
	}
	c.MarkUnavailable("spot", "m5.large", "us-east-1a")
	if c.Version() == v {
		t.Error("marking did not change the version")
	}
}

func TestCapacityErrorCodes(t *testing.T) {
	for _, code := range []string{"InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded", "VcpuLimitExceeded", "UnfulfillableCapacity", "InsufficientFreeAddressesInSubnet"} {
		if !IsCapacityError(code) {
			t.Errorf("%s is a capacity error", code)
		}
	}
	for _, code := range []string{"InvalidParameterValue", "UnauthorizedOperation", "RequestLimitExceeded", ""} {
		if IsCapacityError(code) {
			t.Errorf("%s is not a capacity error: retrying elsewhere would not help", code)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(clocktesting.NewFakeClock(time.Now()), time.Minute)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				c.MarkUnavailable("spot", "t", string(rune('a'+(i+j)%3)))
				_ = c.IsUnavailable("spot", "t", "a")
			}
		})
	}
	wg.Wait()
	if !c.IsUnavailable("spot", "t", "a") {
		t.Error("lost a mark under concurrency")
	}
}
