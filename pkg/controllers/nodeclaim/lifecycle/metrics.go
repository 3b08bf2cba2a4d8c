package lifecycle

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stevedore-dev/stevedore/pkg/metricreg"
)

// metrics are the controller's Prometheus series, all labelled by NodePool so a dashboard can tell a pool that
// cannot get capacity from one whose nodes never join.
type metrics struct {
	launched, registered, initialized *prometheus.CounterVec
	// launchFailures is labelled by reason: InsufficientCapacity, NodeClassNotReady or LaunchFailed.
	launchFailures       *prometheus.CounterVec
	registrationTimeouts *prometheus.CounterVec
	registrationDuration *prometheus.HistogramVec
}

const (
	namespace = "stevedore"
	subsystem = "nodeclaims"
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: subsystem, Name: name, Help: help}, labels)
	}
	m := &metrics{
		launched:    counter("launched_total", "NodeClaims whose instance was launched.", "nodepool"),
		registered:  counter("registered_total", "NodeClaims whose Node registered.", "nodepool"),
		initialized: counter("initialized_total", "NodeClaims whose Node became initialized.", "nodepool"),
		launchFailures: counter("launch_failures_total",
			"Failed launch attempts, by reason: InsufficientCapacity (the claim is deleted), NodeClassNotReady or LaunchFailed (retried).",
			"nodepool", "reason"),
		registrationTimeouts: counter("registration_timeouts_total",
			"NodeClaims deleted because their instance did not register a Node within the registration TTL.", "nodepool"),
		registrationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: subsystem, Name: "registration_duration_seconds",
			Help: "Time from launching a NodeClaim's instance to its Node registering.",
			// Five seconds to about forty minutes: a healthy node joins in one to three minutes.
			Buckets: prometheus.ExponentialBuckets(5, 2, 10),
		}, []string{"nodepool"}),
	}
	r := metricreg.New(reg)
	for _, c := range []**prometheus.CounterVec{&m.launched, &m.registered, &m.initialized, &m.launchFailures, &m.registrationTimeouts} {
		*c = metricreg.Register(r, *c)
	}
	m.registrationDuration = metricreg.Register(r, m.registrationDuration)
	return m, r.Err()
}
