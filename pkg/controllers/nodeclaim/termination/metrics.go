package termination

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the controller's Prometheus metrics.
type metrics struct {
	terminated prometheus.Counter
	duration   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var errs []error
	m := &metrics{
		terminated: register(reg, &errs, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_nodeclaims_terminated_total",
			Help: "NodeClaims whose instance is gone and whose finalizer was removed.",
		})),
		duration: register(reg, &errs, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_nodeclaim_termination_duration_seconds",
			Help:    "Time from a NodeClaim's deletion to its finalizer's removal: drain, volume detach and instance termination.",
			Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 86400},
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
