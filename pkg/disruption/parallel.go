package disruption

import (
	corev1 "k8s.io/api/core/v1"
)

// singleOutcome is what simulating one candidate alone gave: a command, or the block that stops it.
type singleOutcome struct {
	cmd   *Command
	block *block
}

// singles simulates the candidates alone, Options.Parallelism at a time, and yields their outcomes in the
// candidates' order. A simulation is a solve over the whole cluster, and the candidates' simulations do not
// depend on each other, so running them side by side changes nothing but how long the pass takes. It starts
// no simulation once the deadline has passed, as one-by-one simulation would not; the candidates from the
// first not started on get no outcome. Yielding stops early when the consumer does.
func (p *pass) singles(order []*Candidate, free corev1.ResourceList) func(yield func(int, singleOutcome) bool) {
	return func(yield func(int, singleOutcome) bool) {
		opts := p.in.Options
		// started carries, in order, one channel per started simulation; its outcome arrives there.
		started := make(chan chan singleOutcome, opts.Parallelism)
		slots := make(chan struct{}, opts.Parallelism)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			defer close(started)
			for _, c := range order {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
				if !opts.Deadline.IsZero() && !opts.Clock().Before(opts.Deadline) {
					return
				}
				out := make(chan singleOutcome, 1)
				go func() {
					cmd, b := p.single(c, free)
					out <- singleOutcome{cmd: cmd, block: b}
					<-slots
				}()
				select {
				case started <- out:
				case <-stop:
					return
				}
			}
		}()
		i := 0
		for out := range started {
			if !yield(i, <-out) {
				return
			}
			i++
		}
	}
}
