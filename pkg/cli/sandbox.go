package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/spf13/cobra"

	"github.com/stevedore-dev/stevedore/pkg/sandbox"
)

// maxSandboxZones is how many zones the simulator models.
const maxSandboxZones = 16

// sandboxOptions are the flags of `stevedore sandbox`.
type sandboxOptions struct {
	stateDir  string
	bootDelay time.Duration
	zones     []string
	region    string
}

func newSandboxCommand() *cobra.Command {
	o := &sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local cluster, simulated AWS and the Stevedore controller on this machine",
		Long: `Run a whole Stevedore installation on this machine, until interrupted: a Kubernetes control
plane (etcd, kube-apiserver, kube-scheduler, kube-controller-manager) with kwok playing the
kubelets, a simulation of EC2 whose instances join the cluster as Nodes, and the controller. It
installs the CRDs and a default EC2NodeClass and NodePool (on-demand and spot, amd64 and arm64,
every zone), so pods that fit nowhere make Stevedore launch nodes for them. Every few seconds it
prints the nodes, the pending pods and what the instances cost per hour.

No AWS account is used or needed. Without --state-dir the cluster lives in a fresh temporary
directory that is removed when the sandbox stops cleanly; with it, the cluster survives restarts.`,
		Example: `  # Start a sandbox, then in another shell create pods and watch nodes appear
  stevedore sandbox
  kubectl --kubeconfig <printed path> create deployment web --image=nginx --replicas=5

  # Keep the cluster between runs, with instances that boot in a second
  stevedore sandbox --state-dir ~/.stevedore-sandbox --boot-delay 1s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSandbox(cmd.Context(), cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.stateDir, "state-dir", "", "directory holding the cluster's state and logs; empty means a fresh temporary directory")
	f.DurationVar(&o.bootDelay, "boot-delay", sandbox.DefaultBootDelay, "how long a simulated instance takes to boot")
	f.StringSliceVar(&o.zones, "zones", nil, "availability zones to simulate, comma-separated; empty means <region>a, b and c")
	f.StringVar(&o.region, "region", sandbox.DefaultRegion, "AWS region to simulate")
	return cmd
}

// validate checks the flags before anything starts.
func (o *sandboxOptions) validate() error {
	if !regionPattern.MatchString(o.region) {
		return usageError{fmt.Errorf("--region %q is not a region name such as us-east-1", o.region)}
	}
	if o.bootDelay < 0 {
		return usageError{fmt.Errorf("--boot-delay %s is negative; use 0s for none", o.bootDelay)}
	}
	if len(o.zones) > maxSandboxZones {
		return usageError{fmt.Errorf("--zones lists %d zones; the simulator models at most %d", len(o.zones), maxSandboxZones)}
	}
	seen := map[string]bool{}
	for _, z := range o.zones {
		suffix, ok := strings.CutPrefix(z, o.region)
		if !ok || len(suffix) != 1 || suffix[0] < 'a' || suffix[0] > 'z' {
			return usageError{fmt.Errorf("--zones: %q is not a zone of --region %s, such as %sa", z, o.region, o.region)}
		}
		if seen[z] {
			return usageError{fmt.Errorf("--zones: %q is listed twice", z)}
		}
		seen[z] = true
	}
	if o.stateDir != "" {
		if fi, err := os.Stat(o.stateDir); err == nil && !fi.IsDir() {
			return usageError{fmt.Errorf("--state-dir %q is a file, not a directory", o.stateDir)}
		}
	}
	return nil
}

func runSandbox(ctx context.Context, cmd *cobra.Command, o *sandboxOptions) (err error) {
	if err := o.validate(); err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	dir := o.stateDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "stevedore-sandbox-"); err != nil {
			return fmt.Errorf("creating a state directory: %w", err)
		}
		defer func() {
			// A sandbox that failed keeps its logs for the user to read.
			if err == nil {
				err = os.RemoveAll(dir)
			}
		}()
	}
	fmt.Fprintf(stderr, "Starting the sandbox in %s ...\n", dir)
	// A zero --boot-delay means instant boots, which the sandbox spells as negative.
	bootDelay := o.bootDelay
	if bootDelay == 0 {
		bootDelay = -1
	}
	err = sandbox.Run(ctx, sandbox.Options{
		StateDir:  dir,
		BootDelay: bootDelay,
		Region:    o.region,
		Zones:     o.zones,
		Out:       cmd.OutOrStdout(),
		Log:       funcr.New(func(prefix, args string) { fmt.Fprintln(stderr, prefix, args) }, funcr.Options{}),
	})
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// Interrupted during start-up: stopping was what the user asked for.
			fmt.Fprintf(stderr, "Stopped.\n")
			return nil
		}
		return fmt.Errorf("running the sandbox in %s: %w", dir, err)
	}
	fmt.Fprintf(stderr, "Stopped.\n")
	return nil
}
