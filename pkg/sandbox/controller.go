package sandbox

import (
	"fmt"
	"io"
	"os"
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
		"--metrics-bind-address=0",
		"--health-probe-bind-address=0",
	}
}

// noEnv hides the user's environment from the controller's flags, so that a CLUSTER_NAME meant for a real
// cluster cannot redirect the sandbox.
func noEnv(string) string { return "" }

// setControllerEnv points the in-process controller at the sandbox: the kubeconfig the controller-runtime
// reads from $KUBECONFIG, and credentials the simulator accepts, read by the AWS SDK from the environment. A
// profile or session from the user's environment would otherwise send the SDK looking for real credentials.
func setControllerEnv(kubeconfig string) error {
	set := map[string]string{
		"KUBECONFIG":                kubeconfig,
		"AWS_ACCESS_KEY_ID":         "AKIDSANDBOX",
		"AWS_SECRET_ACCESS_KEY":     "sandbox",
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	for k, v := range set {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		if err := os.Unsetenv(k); err != nil {
			return fmt.Errorf("unsetting %s: %w", k, err)
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
