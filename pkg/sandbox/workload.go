package sandbox

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fieldManager owns the fields a workload applies, so that a later apply of the same objects (a restart on the
// same state directory, or the demo scaling a Deployment) changes them instead of conflicting.
const fieldManager = "stevedore-sandbox"

// Workload is what the sandbox starts once it is ready, in the background beside the status lines: nothing (the
// zero Workload), the objects of a manifest file (ManifestFile) or the scripted demo (Demo). It reports on
// Options.Out; a workload that fails says so there and leaves the sandbox running.
type Workload struct {
	// name is how String, and so the command line, refers to the workload.
	name string
	// run does the work; nil does nothing.
	run func(ctx context.Context, env workloadEnv) error
}

// String is "none", "demo" or the manifest file's path.
func (w Workload) String() string {
	if w.run == nil {
		return "none"
	}
	return w.name
}

// workloadEnv is what a workload may use of the running sandbox.
type workloadEnv struct {
	client     client.Client
	out        io.Writer
	clock      clock.WithTicker
	price      PriceFunc
	kubeconfig string
}

// say prints one console line stamped with the clock time, as the status lines are, so the two read as one log.
func (e workloadEnv) say(format string, args ...any) {
	fmt.Fprintf(e.out, "%s  %s\n", e.clock.Now().Format(time.TimeOnly), fmt.Sprintf(format, args...))
}

// startWorkload runs opts.Workload in its own goroutine until it finishes or ctx ends; the returned channel closes
// then. Its failure is printed rather than returned: the sandbox is still worth exploring without it.
func startWorkload(ctx context.Context, opts Options, c client.Client, kubeconfig string, price PriceFunc) <-chan struct{} {
	done := make(chan struct{})
	w := opts.Workload
	if w.run == nil {
		close(done)
		return done
	}
	env := workloadEnv{client: c, out: opts.Out, clock: opts.Clock, price: price, kubeconfig: kubeconfig}
	go func() {
		defer close(done)
		if err := w.run(ctx, env); err != nil && ctx.Err() == nil {
			env.say("%s: stopped: %v", w.name, err)
		}
	}()
	return done
}

// waitFor checks cond every poll until it holds, ctx ends or timeout passes on env's clock. cond reports what it
// saw, for the error on a timeout, and returns an error only for a failure that waiting cannot mend; a failed read
// belongs in what it saw, since the API server may just be busy.
func waitFor(ctx context.Context, env workloadEnv, poll, timeout time.Duration, what string, cond func(context.Context) (bool, string, error)) error {
	deadline := env.clock.Now().Add(timeout)
	ticker := env.clock.NewTicker(poll)
	defer ticker.Stop()
	for {
		ok, seen, err := cond(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return err
		case ok:
			return nil
		}
		if !env.clock.Now().Before(deadline) {
			return fmt.Errorf("waiting %s for %s: last saw %s", timeout, what, seen)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C():
		}
	}
}
