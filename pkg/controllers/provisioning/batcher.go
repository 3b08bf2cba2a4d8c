package provisioning

import (
	"context"
	"time"

	"k8s.io/utils/clock"
)

// Batcher gathers triggers into windows: a window opens with the first trigger and closes once no trigger
// has arrived for the idle duration, or the max duration after it opened, whichever comes first. Batching
// lets one solve see a whole Deployment's pods instead of launching for each as it appears.
type Batcher struct {
	clock     clock.Clock
	idle, max time.Duration
	triggers  chan struct{}
}

// NewBatcher returns a Batcher timing its windows on clk.
func NewBatcher(clk clock.Clock, idle, maxDuration time.Duration) *Batcher {
	return &Batcher{clock: clk, idle: idle, max: maxDuration, triggers: make(chan struct{}, 1)}
}

// Trigger opens a window, or keeps the open one from closing for idle. It never blocks.
func (b *Batcher) Trigger() {
	select {
	case b.triggers <- struct{}{}:
	default:
	}
}

// Wait blocks until a window has opened and closed, and reports true; it reports false once ctx ends.
func (b *Batcher) Wait(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-b.triggers:
	}
	idle, maxTimer := b.clock.NewTimer(b.idle), b.clock.NewTimer(b.max)
	defer idle.Stop()
	defer maxTimer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-b.triggers:
			if !idle.Stop() {
				select {
				case <-idle.C():
				default:
				}
			}
			idle.Reset(b.idle)
		case <-idle.C():
			return true
		case <-maxTimer.C():
			return true
		}
	}
}
