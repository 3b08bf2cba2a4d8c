package lifecycle

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
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
	var errs []error
	for _, c := range []**prometheus.CounterVec{&m.launched, &m.registered, &m.initialized, &m.launchFailures, &m.registrationTimeouts} {
		var err error
		*c, err = register(reg, *c)
		errs = append(errs, err)
	}
	var err error
	m.registrationDuration, err = register(reg, m.registrationDuration)
	return m, errors.Join(append(errs, err)...)
}

// register registers c on reg, or returns the identical collector registered before (by another controller built
// in the same process, as tests do), so that both count into the same series.
func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(T); ok {
			return existing, nil
		}
	}
	return c, err
}
