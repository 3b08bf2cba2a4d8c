package metricreg_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stevedore-dev/stevedore/pkg/metricreg"
)

func TestASecondRegistrationSharesTheFirstCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := metricreg.New(reg)
	first := metricreg.Register(r, prometheus.NewCounter(prometheus.CounterOpts{Name: "stevedore_things_total", Help: "Things."}))
	second := metricreg.Register(r, prometheus.NewCounter(prometheus.CounterOpts{Name: "stevedore_things_total", Help: "Things."}))
	if first != second || r.Err() != nil {
		t.Fatalf("second registration got its own collector (%v) or failed (%v)", first != second, r.Err())
	}
	metricreg.Register(r, prometheus.NewGauge(prometheus.GaugeOpts{Name: "stevedore_things_total", Help: "Other things."}))
	if r.Err() == nil {
		t.Error("a conflicting collector under the same name registered without error")
	}
}
