package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/stevedore-dev/stevedore/pkg/scheme"
	"github.com/stevedore-dev/stevedore/pkg/version"
)

// Leader election timings. A new leader takes over at most leaseDuration after the old one stops renewing; with
// LeaderElectionReleaseOnCancel a clean shutdown hands over at once.
const (
	leaseDuration = 15 * time.Second
	renewDeadline = 10 * time.Second
	retryPeriod   = 2 * time.Second
)

// NewManager builds the controller-runtime manager that runs every Stevedore controller, with Stevedore's own
// scheme, leader election, a metrics server and health probes. opts must have passed Validate. Registering the
// controllers reads the API server's discovery information (for their field indexes); nothing runs until Start.
func NewManager(ctx context.Context, cfg *rest.Config, opts *Options) (manager.Manager, error) {
	if cfg == nil || opts == nil {
		return nil, errors.New("building manager: rest config and options are required")
	}
	s, err := scheme.New()
	if err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}

	// Copy so the caller's config keeps its own rate limits.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = float32(opts.KubeClientQPS)
	cfg.Burst = opts.KubeClientBurst
	cfg.UserAgent = "stevedore-controller/" + version.Version

	mgr, err := manager.New(cfg, manager.Options{
		Scheme:                        s,
		LeaderElection:                opts.LeaderElection,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       opts.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 ptr.To(leaseDuration),
		RenewDeadline:                 ptr.To(renewDeadline),
		RetryPeriod:                   ptr.To(retryPeriod),
		Metrics:                       metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress:        opts.HealthProbeBindAddress,
		// Names are unique by construction (controllers.go is the one place they are wired); the check is a
		// process-wide registry that would refuse a second manager in the same process, as tests build.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("building manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding readiness check: %w", err)
	}
	list, err := controllers(ctx, mgr, opts, crmetrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("building controllers: %w", err)
	}
	for _, c := range list {
		if err := c.Register(mgr); err != nil {
			return nil, fmt.Errorf("registering controller %s: %w", c.Name(), err)
		}
	}
	return mgr, nil
}
