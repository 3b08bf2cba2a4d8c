package metricreg

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Registrar registers collectors on one Registerer and remembers what failed.
type Registrar struct {
	reg  prometheus.Registerer
	errs []error
}

// New returns a Registrar for reg.
func New(reg prometheus.Registerer) *Registrar { return &Registrar{reg: reg} }

// Err is every registration failure so far, joined; nil when all succeeded.
func (r *Registrar) Err() error { return errors.Join(r.errs...) }

// Register adds c to the registrar's Registerer, or returns the identical collector already registered under its
// name so that both count into the same series. A conflicting collector is recorded in Err and c is returned.
func Register[T prometheus.Collector](r *Registrar, c T) T {
	err := r.reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(T); ok {
			return existing
		}
	}
	r.errs = append(r.errs, fmt.Errorf("registering metric: %w", err))
	return c
}
