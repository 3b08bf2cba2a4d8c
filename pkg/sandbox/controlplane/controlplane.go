package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
)

// DefaultKwokAnnotation is the annotation selector kwok uses when Options.KwokAnnotation is empty: only Nodes
// carrying kwok.x-k8s.io/node=fake are played by kwok, so a real kubelet could share the cluster.
const DefaultKwokAnnotation = "kwok.x-k8s.io/node=fake"

// Options configures a control plane.
type Options struct {
	// StateDir holds certificates, etcd's data, kubeconfigs, kwok's configuration and component logs under
	// logs/. An existing directory is reused: certificates stay valid and the cluster keeps its objects.
	StateDir string
	// BinDir holds etcd, kube-apiserver, kube-scheduler, kube-controller-manager and kwok; empty means
	// FindBinDir.
	BinDir string
	// Log receives the control plane's own progress; component output goes to files instead.
	Log logr.Logger
	// KwokAnnotation selects the Nodes kwok manages; empty means DefaultKwokAnnotation.
	KwokAnnotation string
	// Clock times start-up and stop grace periods; nil means the real clock.
	Clock clock.Clock
	// StartTimeout bounds how long Start waits for the API to become ready; zero means two minutes, enough for
	// a loaded two-core machine.
	StartTimeout time.Duration
	// StopGrace is how long a component has to exit after SIGTERM before it is killed; zero means 5 seconds.
	StopGrace time.Duration
}

// ControlPlane is a running set of control plane processes.
type ControlPlane struct {
	// Kubeconfig is the path of the admin kubeconfig (O=system:masters), StateDir/kubeconfig.
	Kubeconfig string
	// Config reaches the API server as the admin.
	Config *rest.Config
	// URL is the API server's address, https://127.0.0.1:<port>.
	URL string
	// StartupDuration is how long Start took from its call until the API was ready and every component ran.
	StartupDuration time.Duration

	opts  Options
	began time.Time
	procs []*process // in start order; stopped in reverse

	failed   chan struct{} // closed when the first component dies unexpectedly
	failOnce sync.Once
	failErr  error

	stopOnce sync.Once
	stopped  chan struct{}
}

func (o Options) withDefaults() (Options, error) {
	if o.StateDir == "" {
		return o, errors.New("options: StateDir is required")
	}
	abs, err := filepath.Abs(o.StateDir)
	if err != nil {
		return o, fmt.Errorf("resolving %s: %w", o.StateDir, err)
	}
	o.StateDir = abs
	if o.BinDir == "" {
		if o.BinDir, err = FindBinDir(); err != nil {
			return o, err
		}
	} else if err := checkBinaries(o.BinDir); err != nil {
		return o, err
	}
	if o.KwokAnnotation == "" {
		o.KwokAnnotation = DefaultKwokAnnotation
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 2 * time.Minute
	}
	if o.StopGrace == 0 {
		o.StopGrace = 5 * time.Second
	}
	return o, nil
}

// Start prepares the state directory and runs every component, returning once the API server is ready, the
// controller manager and the scheduler answer their health checks, the default service account exists (so
// pods can be created) and kwok is running. The API server's port is chosen afresh each time and the
// kubeconfigs rewritten to match. Cancelling ctx later stops the control plane, as Stop does. On error nothing
// is left running.
func Start(ctx context.Context, opts Options) (*ControlPlane, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	began := opts.Clock.Now()
	l := layout{root: opts.StateDir}
	if err := os.MkdirAll(l.root, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", l.root, err)
	}
	keys, err := loadOrCreatePKI(l.pki(), began)
	if err != nil {
		return nil, err
	}
	p, err := freePorts()
	if err != nil {
		return nil, err
	}
	admin, kubeconfigs, err := writeKubeconfigs(l.root, p.apiserverURL(), keys)
	if err != nil {
		return nil, err
	}
	if err := writeKwokConfig(l); err != nil {
		return nil, err
	}
	cfg, err := restConfig(admin)
	if err != nil {
		return nil, err
	}
	c := newControlPlane(opts, began)
	c.Kubeconfig, c.Config, c.URL = admin, cfg, p.apiserverURL()
	startCtx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := c.run(startCtx, l, p, keys, kubeconfigs); err != nil {
		// Stop repeats a component's crash, which err already names.
		if stopErr := c.Stop(); stopErr != nil && !errors.Is(err, stopErr) {
			err = errors.Join(err, stopErr)
		}
		return nil, err
	}
	c.StartupDuration = opts.Clock.Since(began)
	opts.Log.Info("control plane ready", "url", c.URL, "kubeconfig", admin, "startup", c.StartupDuration)
	go c.stopWhenDone(ctx)
	return c, nil
}

func newControlPlane(opts Options, began time.Time) *ControlPlane {
	return &ControlPlane{opts: opts, began: began, failed: make(chan struct{}), stopped: make(chan struct{})}
}

// stopWhenDone stops the control plane when ctx ends, so a cancelled command leaves no process behind.
func (c *ControlPlane) stopWhenDone(ctx context.Context) {
	select {
	case <-ctx.Done():
		_ = c.Stop()
	case <-c.stopped:
	}
}

// run starts the components in dependency order and waits for each stage to be usable.
func (c *ControlPlane) run(ctx context.Context, l layout, p ports, keys *pki, kubeconfigs map[string]string) error {
	if err := c.spawn("etcd", etcdArgs(l, p)); err != nil {
		return err
	}
	if err := c.spawn("kube-apiserver", apiserverArgs(l, p, keys)); err != nil {
		return err
	}
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	kcm, sched := kubeconfigs["kube-controller-manager"], kubeconfigs["kube-scheduler"]
	if err := c.spawn("kube-controller-manager", controllerManagerArgs(l, p, kcm, keys)); err != nil {
		return err
	}
	if err := c.spawn("kube-scheduler", schedulerArgs(l, p, sched)); err != nil {
		return err
	}
	if err := c.spawn("kwok", kwokArgs(l, c.Kubeconfig, c.opts.KwokAnnotation)); err != nil {
		return err
	}
	if err := c.waitHealthy(ctx, "kube-controller-manager", healthzURL(p.controllerManager)); err != nil {
		return err
	}
	if err := c.waitHealthy(ctx, "kube-scheduler", healthzURL(p.scheduler)); err != nil {
		return err
	}
	return c.waitControllers(ctx)
}

// spawn starts one component and watches it, recording the first unexpected exit.
func (c *ControlPlane) spawn(name string, args []string) error {
	proc, err := startProcess(name, filepath.Join(c.opts.BinDir, name), args, layout{root: c.opts.StateDir}.logs())
	if err != nil {
		return err
	}
	c.procs = append(c.procs, proc)
	c.opts.Log.V(1).Info("started component", "component", name, "pid", proc.pid())
	go func() {
		<-proc.done
		if proc.expected() {
			return
		}
		c.failOnce.Do(func() {
			c.failErr = proc.exitError()
			close(c.failed)
		})
	}()
	return nil
}

// PIDs returns the process id of each component by name; each is also the id of the component's process
// group. Tests use it to prove that Stop leaves nothing behind.
func (c *ControlPlane) PIDs() map[string]int {
	pids := map[string]int{}
	for _, p := range c.procs {
		pids[p.name] = p.pid()
	}
	return pids
}

// Wait blocks until a component exits unexpectedly, returning an error naming it, or until Stop, returning
// nil. A supervisor calls Stop after Wait returns an error, to bring down the rest.
func (c *ControlPlane) Wait() error {
	select {
	case <-c.failed:
		return c.failErr
	case <-c.stopped:
		// A component that died just before Stop still counts.
		select {
		case <-c.failed:
			return c.failErr
		default:
			return nil
		}
	}
}

// Stop stops every component, newest first (SIGTERM to its process group, SIGKILL after Options.StopGrace),
// and returns once all have exited, freeing their ports. It is safe to call more than once. It returns the
// unexpected exit that Wait reports, if one happened, so a caller that only calls Stop still learns of it.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			c.procs[i].stop(c.opts.Clock, c.opts.StopGrace)
		}
		close(c.stopped)
	})
	select {
	case <-c.failed:
		return c.failErr
	default:
		return nil
	}
}
