package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/spf13/cobra"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
)

// maxSandboxZones is how many zones the simulator models.
const maxSandboxZones = 16

// sandboxOptions are the flags of `stevedore sandbox`, and what validate makes of them.
type sandboxOptions struct {
	stateDir  string
	bootDelay time.Duration
	zones     []string
	region    string
	workload  string
	// The simulator's faults from the start.
	capacity      []string
	throttleEvery int
	latency       time.Duration
	unjoinable    int

	// Set by validate.
	parsedWorkload sandbox.Workload
	faults         sandbox.Faults
}

func newSandboxCommand() *cobra.Command { return sandboxCommand(&sandboxOptions{}) }

// sandboxCommand is the command with its flags bound to o, which tests read after parsing.
func sandboxCommand(o *sandboxOptions) *cobra.Command {
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
directory that is removed when the sandbox stops cleanly; with it, the cluster survives restarts.

Once it is ready, --workload starts something to watch: "demo" runs a scripted day in namespace
demo (a web tier spread across zones, an API tier spread across nodes, spot-only batch workers,
a morning peak, then an evening scale-down that consolidation cleans up), printing one line per
step; a file path server-side applies the YAML or JSON objects in it, of any kind, as field
manager stevedore-sandbox. A file is read and checked before anything starts; a file named demo
is given as ./demo.

The fault flags make the simulated EC2 misbehave from the start. While the sandbox runs, its
admin API at <aws-endpoint>/admin/ (the endpoint is printed once it is ready) shows the faults
(GET /admin/state) and changes them (POST /admin/capacity, /admin/throttle, /admin/latency,
/admin/unjoinable, with JSON bodies).`,
		Example: `  # Start a sandbox, then in another shell create pods and watch nodes appear
  stevedore sandbox
  kubectl --kubeconfig <printed path> create deployment web --image=nginx --replicas=5

  # Watch the scripted demo, with instances that boot in a second
  stevedore sandbox --workload demo --boot-delay 1s

  # Apply your own manifests once the sandbox is ready
  stevedore sandbox --workload my-app.yaml

  # Keep the cluster between runs
  stevedore sandbox --state-dir ~/.stevedore-sandbox

  # No m7i.large spot capacity in us-east-1a, every 10th EC2 call throttled, and the next two
  # instances never join the cluster
  stevedore sandbox --capacity m7i.large:us-east-1a:spot=0 --throttle-every 10 --unjoinable 2

  # While it runs: give that pool room for 3 more instances
  curl -d '{"instanceType":"m7i.large","zone":"us-east-1a","capacityType":"spot","count":3}' \
    <aws-endpoint>/admin/capacity`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSandbox(cmd.Context(), cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.stateDir, "state-dir", "", "directory holding the cluster's state and logs; empty means a fresh temporary directory")
	f.DurationVar(&o.bootDelay, "boot-delay", sandbox.DefaultBootDelay, "how long a simulated instance takes to boot")
	f.StringSliceVar(&o.zones, "zones", nil, "availability zones to simulate, comma-separated; empty means <region>a, b and c")
	f.StringVar(&o.region, "region", sandbox.DefaultRegion, "AWS region to simulate")
	f.StringVar(&o.workload, "workload", "none", `what to run once the sandbox is ready: none, demo (a scripted day in namespace demo) or a YAML/JSON manifest file to apply`)
	f.StringArrayVar(&o.capacity, "capacity", nil, "limit a simulated capacity pool to N more instances, as TYPE:ZONE:CAPACITYTYPE=N such as m7i.large:us-east-1a:spot=0; repeatable")
	f.IntVar(&o.throttleEvery, "throttle-every", 0, "fail every Nth EC2 request with RequestLimitExceeded; 0 never does")
	f.DurationVar(&o.latency, "latency", 0, "delay added to every simulated AWS request, such as 200ms")
	f.IntVar(&o.unjoinable, "unjoinable", 0, "the next N instances launched never join the cluster as Nodes")
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
	if err := o.validateFaults(); err != nil {
		return err
	}
	switch o.workload {
	case "none", "":
		o.parsedWorkload = sandbox.Workload{}
	case "demo":
		o.parsedWorkload = sandbox.Demo()
	default:
		w, err := sandbox.ManifestFile(o.workload)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return usageError{fmt.Errorf("--workload: %w; want none, demo or a manifest file", err)}
			}
			return usageError{fmt.Errorf("--workload: %w", err)}
		}
		o.parsedWorkload = w
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
		Faults:    o.faults,
		Workload:  o.parsedWorkload,
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

// capacityForm is how --capacity is written, for its error messages.
const capacityForm = "TYPE:ZONE:CAPACITYTYPE=N, such as m7i.large:us-east-1a:spot=0"

// validateFaults turns the fault flags into the simulator's faults, checking pools against the catalog and the
// simulated zones, since a typo would otherwise limit a pool nothing launches from.
func (o *sandboxOptions) validateFaults() error {
	if o.throttleEvery < 0 {
		return usageError{fmt.Errorf("--throttle-every %d is negative; use 0 to never throttle", o.throttleEvery)}
	}
	if o.latency < 0 {
		return usageError{fmt.Errorf("--latency %s is negative; use 0s for none", o.latency)}
	}
	if o.unjoinable < 0 {
		return usageError{fmt.Errorf("--unjoinable %d is negative; use 0 for none", o.unjoinable)}
	}
	zones := o.zones
	if len(zones) == 0 {
		zones = []string{o.region + "a", o.region + "b", o.region + "c"}
	}
	o.faults = sandbox.Faults{ThrottleEveryNth: o.throttleEvery, Latency: o.latency}
	if o.unjoinable > 0 {
		o.faults.Unjoinable = []awssim.Unjoinable{{Count: o.unjoinable}}
	}
	seen := map[awssim.CapacityLimit]string{}
	for _, v := range o.capacity {
		limit, err := parseCapacity(v, zones)
		if err != nil {
			return usageError{fmt.Errorf("--capacity %q: %w", v, err)}
		}
		pool := limit
		pool.Count = 0
		if earlier, ok := seen[pool]; ok {
			return usageError{fmt.Errorf("--capacity %q: the same pool as %q; give each pool once", v, earlier)}
		}
		seen[pool] = v
		o.faults.Capacity = append(o.faults.Capacity, limit)
	}
	return nil
}

// parseCapacity reads TYPE:ZONE:CAPACITYTYPE=N, with the zone one of zones.
func parseCapacity(v string, zones []string) (awssim.CapacityLimit, error) {
	pool, count, ok := strings.Cut(v, "=")
	parts := strings.Split(pool, ":")
	if !ok || len(parts) != 3 {
		return awssim.CapacityLimit{}, fmt.Errorf("want %s", capacityForm)
	}
	limit := awssim.CapacityLimit{InstanceType: parts[0], Zone: parts[1], CapacityType: parts[2]}
	if _, ok := catalog.Lookup(limit.InstanceType); !ok {
		return limit, fmt.Errorf("unknown instance type %q; `stevedore catalog` lists them", limit.InstanceType)
	}
	if !slices.Contains(zones, limit.Zone) {
		return limit, fmt.Errorf("zone %q is not simulated; use one of %s (set by --zones and --region)", limit.Zone, strings.Join(zones, ", "))
	}
	if limit.CapacityType != v1.CapacityTypeOnDemand && limit.CapacityType != v1.CapacityTypeSpot {
		return limit, fmt.Errorf("capacity type %q is neither %s nor %s", limit.CapacityType, v1.CapacityTypeOnDemand, v1.CapacityTypeSpot)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return limit, fmt.Errorf("count %q is not a whole number of 0 or more; 0 means no capacity left", count)
	}
	limit.Count = n
	return limit, nil
}
