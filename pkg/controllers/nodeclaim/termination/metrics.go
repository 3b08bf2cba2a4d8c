package termination

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stevedore-dev/stevedore/pkg/metricreg"
)

// metrics are the controller's Prometheus metrics.
type metrics struct {
	terminated prometheus.Counter
	duration   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	r := metricreg.New(reg)
	m := &metrics{
		terminated: metricreg.Register(r, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stevedore_nodeclaims_terminated_total",
			Help: "NodeClaims whose instance is gone and whose finalizer was removed.",
		})),
		duration: metricreg.Register(r, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_nodeclaim_termination_duration_seconds",
			Help:    "Time from a NodeClaim's deletion to its finalizer's removal: drain, volume detach and instance termination.",
			Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 86400},
		})),
	}
	return m, r.Err()
}
