package disruption

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/metricreg"
)

// metrics are the disruption controller's Prometheus metrics.
type metrics struct {
	decisions       *prometheus.CounterVec
	blocked         *prometheus.GaugeVec
	savingsBlocked  *prometheus.GaugeVec
	savingsRealised *prometheus.CounterVec
	queueDepth      prometheus.Gauge
	commandDuration *prometheus.HistogramVec
	passDuration    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stevedore_disruption_decisions_total",
			Help: "Disruption commands by method, action (delete or replace) and outcome: executed, aborted at validation, or failed and rolled back.",
		}, []string{"method", "action", "outcome"}),
		blocked: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stevedore_disruption_nodes_blocked",
			Help: "Nodes consolidation leaves alone at the last pass, by the reason in their Consolidatable condition.",
		}, []string{"reason"}),
		savingsBlocked: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stevedore_disruption_savings_blocked_dollars_per_hour",
			Help: "What consolidating the nodes a rule holds back (do-not-disrupt, PodDisruptionBudgets, budgets, policy, thresholds) would save, in US dollars per hour, by reason, at the last pass.",
		}, []string{"reason"}),
		savingsRealised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stevedore_disruption_savings_realised_dollars_per_hour_total",
			Help: "Sum of the hourly savings of executed disruption commands, in US dollars per hour, by method.",
		}, []string{"method"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stevedore_disruption_queue_depth",
			Help: "Disruption commands the last pass chose; one is carried out at a time.",
		}),
		commandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stevedore_disruption_command_duration_seconds",
			Help:    "Time from a command's choice to its candidates' deletion (or its abort or rollback), by method.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}, []string{"method"}),
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stevedore_disruption_pass_duration_seconds",
			Help:    "Time one disruption pass took to decide, simulations included.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
	}
	r := metricreg.New(reg)
	m.decisions = metricreg.Register(r, m.decisions)
	m.blocked = metricreg.Register(r, m.blocked)
	m.savingsBlocked = metricreg.Register(r, m.savingsBlocked)
	m.savingsRealised = metricreg.Register(r, m.savingsRealised)
	m.queueDepth = metricreg.Register(r, m.queueDepth)
	m.commandDuration = metricreg.Register(r, m.commandDuration)
	m.passDuration = metricreg.Register(r, m.passDuration)
	return m, r.Err()
}

// observe sets the per-pass gauges from a pass's verdicts.
func (m *metrics) observe(result *disruption.Result) {
	m.blocked.Reset()
	m.savingsBlocked.Reset()
	for _, v := range result.Verdicts {
		if v.Consolidatable {
			continue
		}
		m.blocked.WithLabelValues(v.Reason).Inc()
		if v.SavingsBlocked > 0 {
			m.savingsBlocked.WithLabelValues(v.Reason).Add(v.SavingsBlocked)
		}
	}
}
