package refresh_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/refresh"
)

func TestEveryRetriesSoonerAfterAFailure(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	var calls []time.Time
	fail := true
	done := make(chan error)
	go func() {
		done <- refresh.Every(ctx, clk, time.Hour, logr.Discard(), "refreshing", func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, clk.Now())
			if fail {
				fail = false
				return errors.New("throttled")
			}
			return nil
		})
	}()
	waitCalls := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			got := len(calls)
			mu.Unlock()
			if got >= n && clk.HasWaiters() {
				return
			}
		}
		t.Fatalf("refresh was not called %d times", n)
	}
	waitCalls(1)
	clk.Step(refresh.RetryAfterFailure)
	waitCalls(2)
	clk.Step(time.Hour - time.Second)
	mu.Lock()
	if len(calls) != 2 {
		t.Errorf("%d calls before the interval passed after a success, want 2", len(calls))
	}
	mu.Unlock()
	clk.Step(time.Second)
	waitCalls(3)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Every returned %v when its context ended, want nil", err)
	}
	if calls[1].Sub(calls[0]) != refresh.RetryAfterFailure || calls[2].Sub(calls[1]) != time.Hour {
		t.Errorf("calls at %v; want a retry a minute after the failure, then an hour later", calls)
	}
}
