package disruption

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/disruption/budgets"
	stevedoreevents "github.com/stevedore-dev/stevedore/pkg/events"
	"github.com/stevedore-dev/stevedore/pkg/solver"
	"github.com/stevedore-dev/stevedore/pkg/state"
)

// Name identifies the controller in logs and metrics.
const Name = "disruption"

// Defaults for Options.
const (
	DefaultPollInterval       = 10 * time.Second
	DefaultValidationPeriod   = 15 * time.Second
	DefaultReplacementTimeout = 10 * time.Minute
	// DefaultPassBudget bounds the time single-node consolidation spends simulating in one pass; nodes it does
	// not reach keep the verdict of an earlier pass.
	DefaultPassBudget = 20 * time.Second
)

// Options tune the controller; zero values take the defaults.
type Options struct {
	// PollInterval is the time between passes.
	PollInterval time.Duration
	// ValidationPeriod is how long a consolidation command waits before it is re-checked and carried out.
	ValidationPeriod time.Duration
	// ReplacementTimeout is how long replacements have to initialize before the command rolls back.
	ReplacementTimeout time.Duration
	// PassBudget bounds the simulations of one pass.
	PassBudget time.Duration
	// SpotToSpotConsolidation allows replacing spot nodes with cheaper spot nodes.
	SpotToSpotConsolidation bool
	// Solver tunes the simulations, as the provisioner's solves are tuned.
	Solver solver.Options
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.ValidationPeriod <= 0 {
		o.ValidationPeriod = DefaultValidationPeriod
	}
	if o.ReplacementTimeout <= 0 {
		o.ReplacementTimeout = DefaultReplacementTimeout
	}
	if o.PassBudget <= 0 {
		o.PassBudget = DefaultPassBudget
	}
	return o
}

// Dependencies are what the controller uses.
type Dependencies struct {
	// Client reads through the manager's cache and writes to the API server.
	Client client.Client
	// Cluster is the state model the provisioner feeds from the informers.
	Cluster *state.Cluster
	Clock   clock.WithTicker
	// Recorder publishes events; nil publishes none.
	Recorder events.EventRecorder
	// Registerer receives the metrics; nil means controller-runtime's registry, which the manager serves.
	Registerer prometheus.Registerer
}

// Controller is the disruption controller.
type Controller struct {
	deps    Dependencies
	opts    Options
	checker *budgets.Checker
	metrics *metrics
	events  *stevedoreevents.Recorder

	mu sync.Mutex
	// running is the command being carried out, nil when none; recovered is set once the first pass has
	// un-tainted what a previous leader left.
	running   *disruption.Command
	recovered bool
	wg        sync.WaitGroup
}

// NewController returns the controller; it fails only if its metrics cannot be registered.
func NewController(deps Dependencies, opts Options) (*Controller, error) {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	if deps.Registerer == nil {
		deps.Registerer = crmetrics.Registry
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, fmt.Errorf("registering disruption metrics: %w", err)
	}
	return &Controller{
		deps: deps, opts: opts.withDefaults(), checker: &budgets.Checker{}, metrics: m,
		events: stevedoreevents.NewRecorder(deps.Recorder, deps.Clock, time.Hour),
	}, nil
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register runs a pass every PollInterval on the leader, until the manager stops; a command in progress is
// left to the next leader's recovery.
func (c *Controller) Register(mgr manager.Manager) error {
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		logger := log.FromContext(ctx).WithName(Name)
		ctx = log.IntoContext(ctx, logger)
		ticker := c.deps.Clock.NewTicker(c.opts.PollInterval)
		defer ticker.Stop()
		defer c.wg.Wait()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-ticker.C():
				if _, err := c.Pass(ctx); err != nil {
					logger.Error(err, "disruption pass")
				}
			}
		}
	}))
}

// Pass runs one pass: it recovers from an earlier leader once, evaluates the cluster, writes the verdicts, and
// starts the first command unless one is already running. It returns the evaluation, nil while the state model
// is not synced.
func (c *Controller) Pass(ctx context.Context) (*disruption.Result, error) {
	if !c.deps.Cluster.Synced(ctx) {
		return nil, nil
	}
	c.mu.Lock()
	recover := !c.recovered
	c.mu.Unlock()
	if recover {
		if err := c.recover(ctx); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.recovered = true
		c.mu.Unlock()
	}
	start := c.deps.Clock.Now()
	in, err := c.input(ctx)
	if err != nil {
		return nil, err
	}
	in.Options.Deadline = start.Add(c.opts.PassBudget)
	result := disruption.Evaluate(in, c.checker)
	c.metrics.passDuration.Observe(c.deps.Clock.Since(start).Seconds())
	c.metrics.observe(result)
	if err := c.writeVerdicts(ctx, result); err != nil {
		return result, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metrics.queueDepth.Set(float64(len(result.Commands)))
	if c.running != nil || len(result.Commands) == 0 {
		return result, nil
	}
	cmd := result.Commands[0]
	c.running = cmd
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.execute(ctx, in, cmd)
		c.mu.Lock()
		c.running = nil
		c.mu.Unlock()
	}()
	return result, nil
}

// Wait blocks until the running command, if any, is done; tests use it.
func (c *Controller) Wait() { c.wg.Wait() }
