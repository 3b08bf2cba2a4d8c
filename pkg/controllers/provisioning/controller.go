package provisioning

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/solver"
	"github.com/stevedore-dev/stevedore/pkg/state"
)

// Name identifies the controller in logs and metrics.
const Name = "provisioning"

// Defaults for Options.
const (
	DefaultBatchIdleDuration = time.Second
	DefaultBatchMaxDuration  = 10 * time.Second
	// DefaultCreateWorkers bounds concurrent NodeClaim creates: a large batch makes hundreds of claims, and one
	// at a time would leave most of a batch's latency in round trips.
	DefaultCreateWorkers = 16
	// DefaultResync bounds how long a pod whose nomination lapsed (its node initialized and the kube-scheduler
	// placed other pods there) waits for the next batch: there is no pod event to wake the provisioner then.
	DefaultResync = 5 * time.Second
)

// Options tune the controller; zero values take the defaults.
type Options struct {
	// BatchIdleDuration closes a batch once no new provisionable pod has arrived for this long.
	BatchIdleDuration time.Duration
	// BatchMaxDuration closes a batch this long after it opened, however many pods keep arriving.
	BatchMaxDuration time.Duration
	// Resync opens a batch this often even without pod events, so that pods whose nominations lapsed are seen
	// again; 0 means the lesser of DefaultResync and twice BatchMaxDuration.
	Resync time.Duration
	// Solver tunes every solve.
	Solver solver.Options
	// CreateWorkers bounds concurrent NodeClaim creates.
	CreateWorkers int
	// EventTTL is how long an identical event is not repeated.
	EventTTL time.Duration
}

// Dependencies are what the controller uses.
type Dependencies struct {
	// Client reads through the manager's cache and writes to the API server.
	Client client.Client
	// Cluster is the state model; the controller's Register feeds it from the manager's informers.
	Cluster *state.Cluster
	Clock   clock.WithTicker
	// Recorder publishes events; nil publishes none.
	Recorder events.EventRecorder
	// Registerer receives the metrics; nil means controller-runtime's registry, which the manager serves.
	Registerer prometheus.Registerer
}

// Controller is the provisioner.
type Controller struct {
	deps    Dependencies
	opts    Options
	batcher *Batcher
	metrics *metrics
	events  *publisher
	waiting *waiting

	mu         sync.Mutex
	readyPools map[string]bool
}

// NewController returns a provisioner; it fails only if its metrics cannot be registered.
func NewController(deps Dependencies, opts Options) (*Controller, error) {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	if deps.Registerer == nil {
		deps.Registerer = crmetrics.Registry
	}
	if opts.BatchIdleDuration <= 0 {
		opts.BatchIdleDuration = DefaultBatchIdleDuration
	}
	if opts.BatchMaxDuration <= 0 {
		opts.BatchMaxDuration = DefaultBatchMaxDuration
	}
	if opts.Resync <= 0 {
		opts.Resync = min(2*opts.BatchMaxDuration, DefaultResync)
	}
	if opts.CreateWorkers <= 0 {
		opts.CreateWorkers = DefaultCreateWorkers
	}
	if opts.EventTTL <= 0 {
		opts.EventTTL = DefaultEventTTL
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	return &Controller{
		deps:    deps,
		opts:    opts,
		batcher: NewBatcher(deps.Clock, opts.BatchIdleDuration, opts.BatchMaxDuration),
		metrics: m,
		events:  newPublisher(deps.Recorder, deps.Clock, opts.EventTTL),
		waiting: newWaiting(),

		readyPools: map[string]bool{},
	}, nil
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register feeds the state model from the manager's informers, opens a batch whenever a provisionable pod
// appears or capacity goes away, and runs batches on the leader.
func (c *Controller) Register(mgr manager.Manager) error {
	ctx := context.Background()
	if err := c.deps.Cluster.Watch(ctx, mgr.GetCache()); err != nil {
		return err
	}
	pods, err := mgr.GetCache().GetInformer(ctx, &corev1.Pod{})
	if err != nil {
		return err
	}
	if _, err := pods.AddEventHandler(state.Handler(func(o any) {
		p, ok := o.(*corev1.Pod)
		if !ok {
			return
		}
		c.podUpdated(p)
	}, func(o any) {
		if p, ok := o.(*corev1.Pod); ok {
			c.waiting.forget(client.ObjectKeyFromObject(p))
		}
	})); err != nil {
		return err
	}
	// A claim or node that goes away takes its nominations with it: its pods need a new place.
	for _, obj := range []client.Object{&v1.NodeClaim{}, &corev1.Node{}} {
		informer, err := mgr.GetCache().GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := informer.AddEventHandler(state.Handler(func(any) {}, func(any) { c.batcher.Trigger() })); err != nil {
			return err
		}
	}
	// A pool that becomes ready (its node class resolved) can take pods that had nowhere to go.
	pools, err := mgr.GetCache().GetInformer(ctx, &v1.NodePool{})
	if err != nil {
		return err
	}
	if _, err := pools.AddEventHandler(state.Handler(func(o any) {
		if np, ok := o.(*v1.NodePool); ok && c.becameReady(np) {
			c.batcher.Trigger()
		}
	}, func(any) {})); err != nil {
		return err
	}
	return mgr.Add(manager.RunnableFunc(c.run))
}

// becameReady reports whether the pool is Ready now and was not when last seen.
func (c *Controller) becameReady(np *v1.NodePool) bool {
	ready := np.Conditions().IsTrue(conditions.Ready)
	c.mu.Lock()
	defer c.mu.Unlock()
	was := c.readyPools[np.Name]
	c.readyPools[np.Name] = ready
	return ready && !was
}

// podUpdated opens a batch for a provisionable pod not yet provided for (the scheduler re-marking a nominated pod
// unschedulable is no news), and observes how long a nominated pod waited once it is bound.
func (c *Controller) podUpdated(p *corev1.Pod) {
	if provisionable(p) {
		if _, nominated := c.deps.Cluster.NominatedTo(client.ObjectKeyFromObject(p)); !nominated {
			c.batcher.Trigger()
		}
		return
	}
	if waited, ok := c.waiting.bound(p, c.deps.Clock.Now()); ok {
		c.metrics.boundLatency.Observe(waited.Seconds())
	}
}

// run provisions one batch each time a window closes, until ctx ends.
func (c *Controller) run(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName(Name)
	ticker := c.deps.Clock.NewTicker(c.opts.Resync)
	defer ticker.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C():
				c.batcher.Trigger()
			}
		}
	}()
	c.batcher.Trigger() // pods pending from before a restart or a change of leader
	for c.batcher.Wait(ctx) {
		result, err := c.Provision(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error(err, "provisioning")
		case !result.Synced:
			logger.V(1).Info("waiting for the cluster state to catch up with the cache")
		case len(result.NodeClaims) > 0:
			logger.Info("created nodeclaims", "nodeclaims", len(result.NodeClaims), "pods", result.Pods)
		}
		if err != nil || !result.Synced {
			c.batcher.Trigger() // try again after an idle window
		}
	}
	return nil
}
