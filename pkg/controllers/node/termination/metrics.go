package termination

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stevedore-dev/stevedore/pkg/metricreg"
)

// metrics are the controller's Prometheus metrics.
type metrics struct {
	drainDuration    prometheus.Histogram
	evictions        prometheus.Counter
	evictionsBlocked prometheus.Counter
	podsDeleted      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	r := metricreg.New(reg)
	m := &metrics{
		drainDuration: metricreg.Register(r, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_node_drain_duration_seconds",
			Help:    "Time from a node's deletion to the last pod it waited for leaving.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 86400},
		})),
		evictions: metricreg.Register(r, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_node_evictions_total",
			Help: "Pods evicted from draining nodes.",
		})),
		evictionsBlocked: metricreg.Register(r, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_node_evictions_blocked_total",
			Help: "Evictions from draining nodes that a PodDisruptionBudget refused (429); each is retried with backoff.",
		})),
		podsDeleted: metricreg.Register(r, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_node_pods_deleted_after_grace_period_total",
			Help: "Pods deleted, not evicted, because their node's termination grace period ran out.",
		})),
	}
	return m, r.Err()
}
