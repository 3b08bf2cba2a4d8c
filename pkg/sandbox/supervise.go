package sandbox

import (
	"context"
	"errors"
	"fmt"
)

// supervisor runs the sandbox's components until its context ends or one of them returns, then stops them
// all, so that one dead component never leaves the others running unattended.
type supervisor struct {
	// ctx ends when the caller's context does or a component exits; every component runs under it.
	ctx    context.Context
	cancel context.CancelFunc
	exits  chan exit
	n      int
}

// exit is how one component ended.
type exit struct {
	name string
	err  error
}

func newSupervisor(parent context.Context) *supervisor {
	ctx, cancel := context.WithCancel(parent)
	return &supervisor{ctx: ctx, cancel: cancel, exits: make(chan exit)}
}

// start runs a component in its own goroutine. A component that returns while the supervisor's context is
// still live has died, even if it returned nil.
func (s *supervisor) start(name string, run func(context.Context) error) {
	s.n++
	go func() {
		err := run(s.ctx)
		if err == nil && s.ctx.Err() == nil {
			err = errors.New("exited unexpectedly")
		}
		if err != nil && s.ctx.Err() != nil {
			// Errors while shutting down are the shutdown's, not a failure.
			err = nil
		}
		s.cancel()
		s.exits <- exit{name, err}
	}()
}

// stop cancels every component, waits for them all and returns the first failure, naming its component.
func (s *supervisor) stop() error {
	s.cancel()
	var failure error
	for range s.n {
		if e := <-s.exits; e.err != nil && failure == nil {
			failure = fmt.Errorf("%s: %w", e.name, e.err)
		}
	}
	return failure
}
