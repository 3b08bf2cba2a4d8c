package provisioning

import (
	"context"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// window runs Wait in the background and reports its result on the returned channel.
func window(ctx context.Context, b *Batcher) <-chan bool {
	done := make(chan bool, 1)
	go func() { done <- b.Wait(ctx) }()
	return done
}

// waitForTimers blocks until the batcher has armed its timers on the fake clock.
func waitForTimers(t *testing.T, clk *clocktesting.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("the batcher never armed its timers")
		}
		time.Sleep(time.Millisecond)
	}
}

// consumed blocks until Wait has taken the pending trigger, and a moment more for it to re-arm its idle timer,
// so the test does not move time before the window has been extended.
func consumed(t *testing.T, b *Batcher) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(b.triggers) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the batcher never took the trigger")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
}

func closed(done <-chan bool) (bool, bool) {
	select {
	case v := <-done:
		return v, true
	case <-time.After(50 * time.Millisecond):
		return false, false
	}
}

func TestBatchClosesAfterIdle(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	b := NewBatcher(clk, time.Second, 10*time.Second)
	b.Trigger()
	done := window(t.Context(), b)
	waitForTimers(t, clk)
	clk.Step(999 * time.Millisecond)
	if _, ok := closed(done); ok {
		t.Fatal("window closed before the idle duration passed")
	}
	clk.Step(time.Millisecond)
	if v, ok := <-done; !ok || !v {
		t.Fatalf("Wait = %v, want true once idle", v)
	}
}

func TestTriggersExtendTheWindowUpToMax(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	b := NewBatcher(clk, time.Second, 3*time.Second)
	b.Trigger()
	done := window(t.Context(), b)
	waitForTimers(t, clk)
	// A pod every 800ms keeps the window open past the idle duration, until the max closes it.
	for i := 0; i < 3; i++ {
		clk.Step(800 * time.Millisecond)
		if _, ok := closed(done); ok {
			t.Fatalf("window closed after %d steps while pods kept arriving", i+1)
		}
		b.Trigger()
		consumed(t, b)
	}
	clk.Step(600 * time.Millisecond) // 3s since the window opened
	if v, ok := closed(done); !ok || !v {
		t.Fatal("window did not close at the max duration")
	}
}

func TestWaitWithoutTriggerBlocksUntilCancelled(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	b := NewBatcher(clk, time.Second, 10*time.Second)
	ctx, cancel := context.WithCancel(t.Context())
	done := window(ctx, b)
	clk.Step(time.Hour)
	if _, ok := closed(done); ok {
		t.Fatal("a window closed with no trigger")
	}
	cancel()
	if v := <-done; v {
		t.Fatal("Wait = true after cancellation, want false")
	}
}

func TestTriggersCoalesce(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	b := NewBatcher(clk, time.Second, 10*time.Second)
	for i := 0; i < 100; i++ {
		b.Trigger() // never blocks, however many pods arrive
	}
	done := window(t.Context(), b)
	waitForTimers(t, clk)
	clk.Step(time.Second)
	if v := <-done; !v {
		t.Fatal("first window did not close")
	}
	// The hundred triggers made one window, not a hundred.
	done = window(t.Context(), b)
	clk.Step(time.Hour)
	if _, ok := closed(done); ok {
		t.Fatal("a second window opened from triggers already served")
	}
}
