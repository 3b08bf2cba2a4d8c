package provisioning

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stevedore-dev/stevedore/pkg/metricreg"
)

// metrics are the provisioner's Prometheus metrics.
type metrics struct {
	provisionable     prometheus.Gauge
	solveDuration     prometheus.Histogram
	batchSize         prometheus.Histogram
	nodeClaimsCreated *prometheus.CounterVec
	nominationLatency prometheus.Histogram
	boundLatency      prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		provisionable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stevedore_pods_provisionable",
			Help: "Pods the kube-scheduler could not place that Stevedore has not yet provided capacity for, at the last batch.",
		}),
		solveDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_provisioner_solve_duration_seconds",
			Help:    "Time the solver took to place one batch of pending pods.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_provisioner_batch_size",
			Help:    "Pending pods in one provisioning batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 16),
		}),
		nodeClaimsCreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stevedore_nodeclaims_created_total",
			Help: "NodeClaims the provisioner created, by NodePool.",
		}, []string{"nodepool"}),
		nominationLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_provisioner_pod_nomination_latency_seconds",
			Help:    "Time from a pod being marked unschedulable (or created, when the mark has no time) to its nomination to a node or NodeClaim.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 12),
		}),
		boundLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_provisioner_pod_bound_latency_seconds",
			Help:    "Time from a pod being marked unschedulable (or created) to the kube-scheduler binding it, for pods Stevedore nominated: what a user waits for capacity.",
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 12),
		}),
	}
	r := metricreg.New(reg)
	m.provisionable = metricreg.Register(r, m.provisionable)
	m.solveDuration = metricreg.Register(r, m.solveDuration)
	m.batchSize = metricreg.Register(r, m.batchSize)
	m.nodeClaimsCreated = metricreg.Register(r, m.nodeClaimsCreated)
	m.nominationLatency = metricreg.Register(r, m.nominationLatency)
	m.boundLatency = metricreg.Register(r, m.boundLatency)
	return m, r.Err()
}
