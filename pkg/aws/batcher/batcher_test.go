package batcher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

type recorder struct {
	mu    sync.Mutex
	calls [][]string
}

func (r *recorder) execute(_ context.Context, requests []string) []Result[string] {
	r.mu.Lock()
	r.calls = append(r.calls, append([]string(nil), requests...))
	r.mu.Unlock()
	out := make([]Result[string], len(requests))
	for i, q := range requests {
		out[i] = Result[string]{Value: "done:" + q}
	}
	return out
}

func newTest(maxSize int) (*Batcher[string, string], *recorder, *clocktesting.FakeClock) {
	rec := &recorder{}
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	b := New(Options[string, string]{
		Key:     func(s string) string { return s[:1] }, // requests starting with the same letter are compatible
		Execute: rec.execute,
		Idle:    35 * time.Millisecond, Max: time.Second, MaxSize: maxSize, Clock: clk,
	})
	return b, rec, clk
}

// waitJoined blocks until the open batches hold n requests in total.
func waitJoined(t *testing.T, b *Batcher[string, string], n int) {
	t.Helper()
	for range 5000 {
		b.mu.Lock()
		total := 0
		for _, bt := range b.pending {
			total += len(bt.requests)
		}
		b.mu.Unlock()
		if total == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("requests never joined their batches")
}

func TestConcurrentRequestsShareOneCall(t *testing.T) {
	b, rec, clk := newTest(0)
	var wg sync.WaitGroup
	results := make([]string, 10)
	for i := range 10 {
		wg.Go(func() {
			results[i], _ = b.Do(t.Context(), fmt.Sprintf("a%d", i))
		})
	}
	wg.Go(func() { _, _ = b.Do(t.Context(), "b0") })
	waitJoined(t, b, 11)
	stepUntilDone(clk, &wg, 35*time.Millisecond)
	if len(rec.calls) != 2 {
		t.Fatalf("%d calls, want one for the a* requests and one for b0: %v", len(rec.calls), rec.calls)
	}
	for i, r := range results {
		if r != fmt.Sprintf("done:a%d", i) {
			t.Errorf("request a%d got %q", i, r)
		}
	}
}

func TestMaxSizeClosesTheBatchAtOnce(t *testing.T) {
	b, rec, _ := newTest(3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() { _, _ = b.Do(t.Context(), fmt.Sprintf("a%d", i)) })
	}
	wg.Wait() // no clock step needed
	if len(rec.calls) != 1 || len(rec.calls[0]) != 3 {
		t.Errorf("calls %v", rec.calls)
	}
}

func TestMaxWindowBoundsAnOpenBatch(t *testing.T) {
	b, rec, clk := newTest(0)
	calls := func() (n, executed int) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, c := range rec.calls {
			executed += len(c)
		}
		return len(rec.calls), executed
	}
	joined := func() int {
		_, executed := calls()
		b.mu.Lock()
		defer b.mu.Unlock()
		if bt, ok := b.pending["a"]; ok {
			executed += len(bt.requests)
		}
		return executed
	}
	var wg sync.WaitGroup
	// A request every 30ms keeps the 35ms idle window open; the one-second window closes the batch anyway.
	for i := 0; i < 45; i++ {
		wg.Go(func() { _, _ = b.Do(t.Context(), fmt.Sprintf("a%d", i)) })
		waitFor(t, func() bool { return joined() == i+1 })
		clk.Step(30 * time.Millisecond)
	}
	waitFor(t, func() bool { n, _ := calls(); return n >= 1 })
	rec.mu.Lock()
	first := len(rec.calls[0])
	rec.mu.Unlock()
	// About a second's worth (34); a batch's timers start when its goroutine runs, which can trail a step.
	if first < 25 || first > 40 {
		t.Errorf("first batch held %d requests, want about a second's worth (34)", first)
	}
	stepUntilDone(clk, &wg, time.Second)
}

// stepUntilDone moves the clock on until every request has its result. Stepping more than once matters: a
// batch's goroutine may reset its idle timer just after a step.
func stepUntilDone(clk *clocktesting.FakeClock, wg *sync.WaitGroup, step time.Duration) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	for {
		clk.Step(step)
		select {
		case <-done:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 10000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition never held")
}

func TestCancelledCallerGetsItsContextError(t *testing.T) {
	b, _, clk := newTest(0)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := b.Do(ctx, "a")
		errc <- err
	}()
	waitJoined(t, b, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	clk.Step(time.Second) // the batch still runs; nobody is left waiting
}
