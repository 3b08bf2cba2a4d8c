package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/operator"
	"github.com/stevedore-dev/stevedore/pkg/sandbox/controlplane"
	"github.com/stevedore-dev/stevedore/pkg/sandbox/kubelet"
	"github.com/stevedore-dev/stevedore/pkg/scheme"
)

// Options configures a sandbox; see withDefaults for what the zero values mean.
type Options struct {
	// StateDir holds the control plane's state and every component's log under logs/. Required; an existing
	// directory is reused, cluster objects and all.
	StateDir string
	// BinDir holds the control plane's binaries; empty means controlplane.FindBinDir.
	BinDir string
	// BootDelay is how long a simulated instance stays pending before it runs: DefaultBootDelay when zero,
	// none when negative.
	BootDelay time.Duration
	// Region is the simulated AWS region; DefaultRegion when empty.
	Region string
	// Zones are the simulated availability zones, which the default NodePool allows; <Region>a, b and c when
	// empty.
	Zones []string
	// Out receives the kubectl hint and the status lines; io.Discard when nil.
	Out io.Writer
	// Log receives progress from the control plane and the simulated kubelet.
	Log logr.Logger
	// SummaryInterval is how often a status line is printed; DefaultSummaryInterval when zero.
	SummaryInterval time.Duration
	// Clock times start-up and the status lines; the real clock when nil.
	Clock clock.WithTicker
	// Ready, when set, is called once every component runs and the defaults are applied.
	Ready func(Info)
	// Faults are injected into the AWS simulator from the start; Info.Simulator changes them later.
	Faults Faults
	// ControllerArgs are flags appended to the controller's, such as --registration-ttl=30s.
	ControllerArgs []string
	// ExternalController leaves the controller out: the caller runs it, as a process it can kill, with
	// Info.ControllerArgs and Info.ControllerEnv. Ready is then called before the default node class is ready,
	// since only the controller makes it so.
	ExternalController bool
	// Workload is started once the sandbox is ready, beside the status lines; the zero Workload starts nothing.
	Workload Workload
}

// Faults are the AWS simulator's injected faults; see awssim.Options for each.
type Faults struct {
	// Capacity limits how many more instances some pools may launch.
	Capacity []awssim.CapacityLimit
	// ThrottleEveryNth fails every Nth EC2 request with RequestLimitExceeded; 0 never does.
	ThrottleEveryNth int
	// Latency delays every simulated AWS request.
	Latency time.Duration
	// Unjoinable makes some of the first instances launched never register a Node.
	Unjoinable []awssim.Unjoinable
}

// Info describes a running sandbox to Options.Ready.
type Info struct {
	// Kubeconfig is the path of the admin kubeconfig.
	Kubeconfig string
	// Config reaches the API server as the admin.
	Config *rest.Config
	// AWSEndpoint is the simulator's URL.
	AWSEndpoint string
	// StartupDuration is how long it took from Run's call until the sandbox was ready.
	StartupDuration time.Duration
	// PIDs are the control plane's processes by component; none outlives Run.
	PIDs map[string]int
	// Simulator is the running AWS simulator, whose faults and state the caller may change and read.
	Simulator *awssim.Server
	// ControllerArgs and ControllerEnv run a controller against this sandbox: the flags, and the environment
	// (NAME=value) to add to the caller's, with the user's AWS settings masked.
	ControllerArgs, ControllerEnv []string
}

// Defaults applied by Run.
const (
	// DefaultBootDelay is how long a simulated instance boots: short enough to watch, long enough to see
	// NodeClaims launched before their Nodes join.
	DefaultBootDelay = 5 * time.Second
	// DefaultRegion is the simulated region.
	DefaultRegion = "us-east-1"
	// DefaultSummaryInterval is how often the status line is printed.
	DefaultSummaryInterval = 5 * time.Second
)

func (o Options) withDefaults() (Options, error) {
	if o.StateDir == "" {
		return o, errors.New("options: StateDir is required")
	}
	if o.BootDelay == 0 {
		o.BootDelay = DefaultBootDelay
	} else if o.BootDelay < 0 {
		o.BootDelay = 0
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if len(o.Zones) == 0 {
		o.Zones = []string{o.Region + "a", o.Region + "b", o.Region + "c"}
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.SummaryInterval <= 0 {
		o.SummaryInterval = DefaultSummaryInterval
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o, nil
}

// Run starts the control plane, the AWS simulator with its kubelet stand-in and the controller, applies the
// default EC2NodeClass and NodePool, and prints a status line every Options.SummaryInterval until ctx is
// cancelled. It then stops everything it started, newest first, and returns nil. If a component dies first, it
// stops the rest and returns an error naming the component.
func Run(ctx context.Context, opts Options) (err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return err
	}
	began := opts.Clock.Now()
	// Cancelling ctx interrupts the control plane's start-up; once it runs, it is stopped last, explicitly.
	cpCtx, cancelCP := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCP()
	unwatch := context.AfterFunc(ctx, cancelCP)
	cp, err := controlplane.Start(cpCtx, controlplane.Options{StateDir: opts.StateDir, BinDir: opts.BinDir, Log: opts.Log})
	unwatch()
	if err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	defer func() {
		// On the normal path the control plane is already stopped and its failure reported.
		if stopErr := cp.Stop(); stopErr != nil && err == nil {
			err = errors.Join(err, fmt.Errorf("control plane: %w", stopErr))
		}
	}()

	s, err := scheme.New()
	if err != nil {
		return err
	}
	c, err := client.New(cp.Config, client.Options{Scheme: s})
	if err != nil {
		return fmt.Errorf("connecting to the control plane: %w", err)
	}
	if err := installCRDs(ctx, c); err != nil {
		return err
	}
	k := kubelet.New(c, kubelet.Options{Region: opts.Region, Log: opts.Log.WithName("kubelet")})
	sim := awssim.New(awssim.Options{
		Region: opts.Region, Zones: opts.Zones, ClusterName: ClusterName, BootDelay: opts.BootDelay, Hooks: k,
		Clock: opts.Clock.Now, Capacity: opts.Faults.Capacity, ThrottleEveryNth: opts.Faults.ThrottleEveryNth,
		Latency: opts.Faults.Latency, Unjoinable: opts.Faults.Unjoinable,
	})
	endpoint, stopSim, err := sim.Start("")
	if err != nil {
		return fmt.Errorf("starting the AWS simulator: %w", err)
	}
	defer stopSim()
	if err := applyDefaults(ctx, c, opts.Zones); err != nil {
		return err
	}
	controllerLog, err := os.OpenFile(filepath.Join(opts.StateDir, "logs", "controller.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the controller's log: %w", err)
	}
	defer controllerLog.Close()
	args := append(controllerArgs(opts.Region, endpoint, cp.URL), opts.ControllerArgs...)
	env := controllerEnv(cp.Kubeconfig)
	sup := newSupervisor(ctx)
	if !opts.ExternalController {
		if err := setEnv(env); err != nil {
			return err
		}
		// operator.Run replaces client-go's process-wide logger without a lock before it first logs, so nothing
		// else may call the API until then; its first line of log says it is done.
		logged := &firstWrite{w: controllerLog, done: make(chan struct{})}
		sup.start("controller", func(ctx context.Context) error {
			if code := operator.Run(ctx, args, noEnv, logged, logged); code != operator.ExitOK {
				return fmt.Errorf("exited with code %d; see %s", code, controllerLog.Name())
			}
			return nil
		})
		select {
		case <-logged.done:
		case <-sup.ctx.Done():
		}
	}
	sup.start("kubelet", k.Run)
	sup.start("AWS simulator", sim.Run)
	cpDied := make(chan error, 1)
	go func() {
		err := cp.Wait()
		if err != nil {
			sup.cancel()
		}
		cpDied <- err
	}()

	// Ready means pods created now get nodes at once, so the controller must have resolved its node class; a
	// controller run by the caller cannot do that before it is told how to reach the sandbox.
	var notReady error
	if !opts.ExternalController {
		notReady = waitNodeClassReady(sup.ctx, c)
	}
	if notReady == nil {
		announce(opts, Info{
			Kubeconfig: cp.Kubeconfig, Config: cp.Config, AWSEndpoint: endpoint, PIDs: cp.PIDs(), Simulator: sim,
			ControllerArgs: args, ControllerEnv: env,
		}, began)
		price := priceFunc(onDemandPrices(opts.Region), sim.SpotPrice, opts.Clock.Now)
		workloadDone := startWorkload(sup.ctx, opts, c, cp.Kubeconfig, price)
		printSummaries(sup.ctx, opts, c, price)
		<-workloadDone
	}
	// The control plane stops last, so the controller and the kubelet finish their calls against a live API.
	failure := sup.stop()
	_ = cp.Stop() // its failure, if any, is what Wait reports
	if cpErr := <-cpDied; cpErr != nil {
		// The other components' troubles follow from the control plane's.
		return fmt.Errorf("control plane: %w", cpErr)
	}
	if failure == nil && ctx.Err() == nil {
		failure = notReady
	}
	return failure
}

// announce tells the user, and Options.Ready, that the sandbox is ready and how to reach it.
func announce(opts Options, info Info, began time.Time) {
	info.StartupDuration = opts.Clock.Since(began)
	fmt.Fprintf(opts.Out, "Sandbox ready in %s: a control plane, simulated AWS (%s, %s) and the controller.\n",
		info.StartupDuration.Round(100*time.Millisecond), info.AWSEndpoint, opts.Region)
	fmt.Fprintf(opts.Out, "Watch it with:\n  kubectl --kubeconfig %s get nodes,pods -A\n", info.Kubeconfig)
	fmt.Fprintf(opts.Out, "Logs are in %s. Press Ctrl-C to stop.\n", filepath.Join(opts.StateDir, "logs"))
	if opts.Ready != nil {
		opts.Ready(info)
	}
}

// onDemandPrices are the catalog's prices for region, empty for a region the catalog does not price.
func onDemandPrices(region string) map[string]float64 {
	prices, _, _ := catalog.OnDemandPrices(region)
	return prices
}

// printSummaries prints a status line every interval until ctx ends; a failed read is printed in its place,
// since the sandbox keeps running and the next tick may succeed.
func printSummaries(ctx context.Context, opts Options, c client.Reader, price PriceFunc) {
	ticker := opts.Clock.NewTicker(opts.SummaryInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C():
			line := ""
			if s, err := summarize(ctx, c, price); err != nil {
				line = "reading the cluster: " + err.Error()
			} else {
				line = s.String()
			}
			fmt.Fprintf(opts.Out, "%s  %s\n", now.Format(time.TimeOnly), line)
		}
	}
}
