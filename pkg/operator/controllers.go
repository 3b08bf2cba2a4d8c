package operator

import (
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Controller is what each controller package hands the operator: a name for errors and logs, and a way to attach
// its reconciler and watches to the manager.
type Controller interface {
	// Name identifies the controller, such as "nodeclaim.lifecycle".
	Name() string
	// Register adds the controller to mgr; it runs once mgr starts (on the leader only, unless it says otherwise).
	Register(mgr manager.Manager) error
}

// controllers lists every controller the process runs, in registration order. It is the one place controllers are
// wired: each controller package is constructed here and given only the dependencies it uses, taken from mgr (the
// client, the event recorder) and opts. None exist yet.
func controllers(mgr manager.Manager, opts *Options) []Controller {
	return nil
}
