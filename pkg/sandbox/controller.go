package sandbox

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// controllerArgs runs the controller as the sandbox's only replica against the simulator.
func controllerArgs(region, awsEndpoint, clusterEndpoint string) []string {
	return []string{
		"--cluster-name=" + ClusterName,
		"--cluster-endpoint=" + clusterEndpoint,
		"--aws-region=" + region,
		"--aws-endpoint-url=" + awsEndpoint,
		"--leader-elect=false",
		// The demo's fleet is mostly spot; without this, consolidation could only delete spot nodes.
		"--feature-gates=SpotToSpotConsolidation=true",
		"--metrics-bind-address=0",
		"--health-probe-bind-address=0",
	}
}

// noEnv hides the user's environment from the controller's flags, so that a CLUSTER_NAME meant for a real
// cluster cannot redirect the sandbox.
func noEnv(string) string { return "" }

// controllerEnv points a controller at the sandbox: the kubeconfig the controller-runtime reads from
// $KUBECONFIG, and credentials the simulator accepts, read by the AWS SDK from the environment. A profile or
// session from the user's environment would otherwise send the SDK looking for real credentials, so those are
// set empty, which the SDK treats as unset.
func controllerEnv(kubeconfig string) []string {
	return []string{
		"KUBECONFIG=" + kubeconfig,
		"AWS_ACCESS_KEY_ID=AKIDSANDBOX",
		"AWS_SECRET_ACCESS_KEY=sandbox",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE=",
	}
}

// setEnv applies NAME=value pairs to this process's environment, for the in-process controller; an empty value
// unsets the name.
func setEnv(env []string) error {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		if v == "" {
			err = os.Unsetenv(k)
		} else {
			err = os.Setenv(k, v)
		}
		if err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
	}
	return nil
}

// firstWrite passes writes to w and closes done on the first one.
type firstWrite struct {
	w    io.Writer
	once sync.Once
	done chan struct{}
}

func (f *firstWrite) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.once.Do(func() { close(f.done) })
	return n, err
}
