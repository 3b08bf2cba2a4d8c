package batcher

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Result is one request's outcome.
type Result[R any] struct {
	Value R
	Err   error
}

// Options configure a Batcher.
type Options[T, R any] struct {
	// Key groups requests that may share a call; requests with different keys never do.
	Key func(T) string
	// Execute runs one call for a batch and returns one result per request, in order.
	Execute func(ctx context.Context, requests []T) []Result[R]
	// Idle closes a batch when no request joined it for this long; Max when it has been open this long.
	Idle, Max time.Duration
	// MaxSize closes a batch as soon as it holds this many requests; 0 means no limit.
	MaxSize int
	// Clock drives the windows; the real clock when nil.
	Clock clock.WithTicker
}

// Batcher merges concurrent requests. It is safe for concurrent use.
type Batcher[T, R any] struct {
	opts    Options[T, R]
	mu      sync.Mutex
	pending map[string]*batch[T, R]
}

type batch[T, R any] struct {
	requests []T
	results  []chan Result[R]
	joined   chan struct{}
	full     chan struct{}
}

// New returns a Batcher.
func New[T, R any](opts Options[T, R]) *Batcher[T, R] {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Batcher[T, R]{opts: opts, pending: map[string]*batch[T, R]{}}
}

// Do adds the request to the open batch for its key (opening one if needed) and waits for its result. If
// ctx ends first, Do returns ctx's error; the batch still runs, so the call's effects may still happen.
func (b *Batcher[T, R]) Do(ctx context.Context, request T) (R, error) {
	key := b.opts.Key(request)
	result := make(chan Result[R], 1)
	b.mu.Lock()
	bt, ok := b.pending[key]
	if !ok {
		bt = &batch[T, R]{joined: make(chan struct{}, 1), full: make(chan struct{})}
		b.pending[key] = bt
		go b.run(key, bt)
	}
	bt.requests = append(bt.requests, request)
	bt.results = append(bt.results, result)
	if b.opts.MaxSize > 0 && len(bt.requests) >= b.opts.MaxSize {
		delete(b.pending, key) // no one else joins; run picks it up at once
		close(bt.full)
	} else {
		select {
		case bt.joined <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
	select {
	case r := <-result:
		return r.Value, r.Err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// run waits for the batch's window to close, then executes it.
func (b *Batcher[T, R]) run(key string, bt *batch[T, R]) {
	idle := b.opts.Clock.NewTimer(b.opts.Idle)
	deadline := b.opts.Clock.NewTimer(b.opts.Max)
	defer idle.Stop()
	defer deadline.Stop()
wait:
	for {
		select {
		case <-bt.joined:
			if !idle.Stop() {
				select {
				case <-idle.C():
				default:
				}
			}
			idle.Reset(b.opts.Idle)
		case <-idle.C():
			break wait
		case <-deadline.C():
			break wait
		case <-bt.full:
			break wait
		}
	}
	b.mu.Lock()
	if b.pending[key] == bt {
		delete(b.pending, key)
	}
	requests, results := bt.requests, bt.results
	b.mu.Unlock()

	out := b.opts.Execute(context.Background(), requests)
	for i, ch := range results {
		if i < len(out) {
			ch <- out[i]
		} else {
			ch <- Result[R]{Err: fmt.Errorf("batch returned %d results for %d requests", len(out), len(requests))}
		}
	}
}
