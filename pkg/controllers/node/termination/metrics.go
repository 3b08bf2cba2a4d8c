package termination

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the controller's Prometheus metrics.
type metrics struct {
	drainDuration    prometheus.Histogram
	evictions        prometheus.Counter
	evictionsBlocked prometheus.Counter
	podsDeleted      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var errs []error
	m := &metrics{
		drainDuration: register(reg, &errs, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_node_drain_duration_seconds",
			Help:    "Time from a node's deletion to the last pod it waited for leaving.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 86400},
		})),
		evictions: register(reg, &errs, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_node_evictions_total",
			Help: "Pods evicted from draining nodes.",
		})),
		evictionsBlocked: register(reg, &errs, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_node_evictions_blocked_total",
			Help: "Evictions from draining nodes that a PodDisruptionBudget refused (429); each is retried with backoff.",
		})),
		podsDeleted: register(reg, &errs, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_node_pods_deleted_after_grace_period_total",
			Help: "Pods deleted, not evicted, because their node's termination grace period ran out.",
		})),
	}
	return m, errors.Join(errs...)
}

// register adds c to reg, or returns the collector already registered under its name, so that several controllers
// (as tests build) share one set of series.
func register[T prometheus.Collector](reg prometheus.Registerer, errs *[]error, c T) T {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(T); ok {
			return existing
		}
	}
	*errs = append(*errs, fmt.Errorf("registering metric: %w", err))
	return c
}
