package garbagecollection

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// Name identifies the controller in logs and metrics.
const Name = "nodeclaim.garbagecollection"

// Defaults for Options.
const (
	// DefaultInterval between passes. Leaks cost money by the hour, so a few minutes is soon enough, and a pass
	// costs one paginated DescribeInstances, plus a few batched calls when something leaked or vanished.
	DefaultInterval = 2 * time.Minute
	// DefaultGracePeriod is how old an unowned instance must be before it is terminated: long enough for a
	// launcher to record an instance it just started.
	DefaultGracePeriod = time.Minute
)

// parallelism bounds the cloud calls a pass has in flight: enough to fill the cloud provider's batches, few
// enough that a pass over thousands of leaks does not start thousands of goroutines at once.
const parallelism = 100

// Options tune the controller; zero values take the defaults.
type Options struct {
	Interval, GracePeriod time.Duration
}

// Controller is the garbage collector.
type Controller struct {
	kube  client.Client
	cloud cloudprovider.CloudProvider
	clock clock.WithTicker
	opts  Options
}

// NewController returns a Controller.
func NewController(kube client.Client, cloud cloudprovider.CloudProvider, clk clock.WithTicker, opts Options) *Controller {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.GracePeriod <= 0 {
		opts.GracePeriod = DefaultGracePeriod
	}
	return &Controller{kube: kube, cloud: cloud, clock: clk, opts: opts}
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register runs a pass every interval on the leader.
func (c *Controller) Register(mgr manager.Manager) error {
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		logger := log.FromContext(ctx).WithName(Name)
		ticker := c.clock.NewTicker(c.opts.Interval)
		defer ticker.Stop()
		for {
			if err := c.Reconcile(ctx); err != nil && ctx.Err() == nil {
				logger.Error(err, "collecting garbage")
			}
			select {
			case <-ctx.Done():
				return nil
			case <-ticker.C():
			}
		}
	}))
}

// Reconcile makes one pass: it terminates the cloud's unowned instances past the grace period and deletes
// NodeClaims whose launched instance no longer exists.
func (c *Controller) Reconcile(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName(Name)
	// Read the claims before the cloud: an instance launched after the claims were listed is younger than the
	// grace period, so it is never mistaken for a leak.
	var claims v1.NodeClaimList
	if err := c.kube.List(ctx, &claims); err != nil {
		return fmt.Errorf("listing nodeclaims: %w", err)
	}
	machines, err := c.cloud.List(ctx)
	if err != nil {
		return fmt.Errorf("listing %s instances: %w", c.cloud.Name(), err)
	}
	owned, launching := map[string]bool{}, map[string]bool{}
	for _, claim := range claims.Items {
		switch {
		case claim.Status.ProviderID != "":
			owned[claim.Status.ProviderID] = true
		case claim.DeletionTimestamp.IsZero():
			// A claim being deleted is never launched again, so nothing will adopt an instance tagged for it:
			// its finalizer, knowing no instance, lets it go, and another finalizer may hold it for ever.
			launching[claim.Name] = true
		}
	}
	now := c.clock.Now()
	running := map[string]bool{}
	var leaked []*v1.NodeClaim
	for _, m := range machines {
		running[m.Status.ProviderID] = true
		// A machine tagged for a claim that has not recorded an instance yet is that claim's: its launcher
		// adopts it on retry.
		if owned[m.Status.ProviderID] || (m.Name != "" && launching[m.Name]) || now.Sub(m.CreationTimestamp.Time) < c.opts.GracePeriod {
			continue
		}
		leaked = append(leaked, m)
	}
	var missing []*v1.NodeClaim
	for i := range claims.Items {
		claim := &claims.Items[i]
		if claim.Status.ProviderID == "" || running[claim.Status.ProviderID] || !claim.DeletionTimestamp.IsZero() {
			continue
		}
		missing = append(missing, claim)
	}
	return errors.Join(
		concurrently(leaked, func(m *v1.NodeClaim) error { return c.terminate(ctx, logger, m) }),
		concurrently(missing, func(claim *v1.NodeClaim) error { return c.deleteIfGone(ctx, logger, claim) }),
	)
}

// terminate terminates a leaked machine; one already gone is no error.
func (c *Controller) terminate(ctx context.Context, logger logr.Logger, m *v1.NodeClaim) error {
	err := c.cloud.Delete(ctx, m)
	if cloudprovider.IsNodeClaimNotFoundError(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("terminating leaked instance %s: %w", m.Status.ProviderID, err)
	}
	logger.Info("terminated an instance no nodeclaim owns", "provider-id", m.Status.ProviderID, "nodeclaim", m.Name)
	return nil
}

// deleteIfGone deletes the claim when its instance is confirmed gone: List leaves out instances that are
// shutting down, so a claim missing from it is asked about directly before anything is deleted.
func (c *Controller) deleteIfGone(ctx context.Context, logger logr.Logger, claim *v1.NodeClaim) error {
	_, err := c.cloud.Get(ctx, claim.Status.ProviderID)
	if err == nil {
		return nil
	}
	if !cloudprovider.IsNodeClaimNotFoundError(err) {
		return fmt.Errorf("getting the instance of nodeclaim %s: %w", claim.Name, err)
	}
	if err := c.kube.Delete(ctx, claim); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting nodeclaim %s whose instance is gone: %w", claim.Name, err)
	}
	logger.Info("deleted a nodeclaim whose instance is gone", "nodeclaim", claim.Name, "provider-id", claim.Status.ProviderID)
	return nil
}

// concurrently calls fn for every item, at most parallelism at a time, and joins the errors. Cloud providers
// merge concurrent calls into batches, so a pass over a leak storm (a crash in the middle of a merged launch)
// or a mass termination costs a few cloud calls instead of one or two per instance.
func concurrently[T any](items []T, fn func(T) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	slots := make(chan struct{}, parallelism)
	for _, item := range items {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := fn(item); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
