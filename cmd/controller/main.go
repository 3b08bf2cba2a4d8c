// Command controller is Stevedore's in-cluster controller; see pkg/operator for what it does and how it is wired.
package main

import (
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/stevedore-dev/stevedore/pkg/operator"
)

func main() {
	os.Exit(operator.Run(ctrl.SetupSignalHandler(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
