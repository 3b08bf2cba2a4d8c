package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/spf13/cobra"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// awssimOptions are the flags of `stevedore awssim`.
type awssimOptions struct {
	listen      string
	region      string
	clusterName string
	seed        int64
	allowRemote bool
	// The simulated instances' lifecycle, and the faults in force from the start.
	bootDelay     time.Duration
	shutdownDelay time.Duration
	latency       time.Duration
	throttleEvery int
	hookURL       string
}

func newAWSSimCommand() *cobra.Command {
	o := &awssimOptions{}
	cmd := &cobra.Command{
		Use:   "awssim",
		Short: "Serve a local simulation of the EC2 API for demos and tests",
		Long: `Serve a simulation of the slice of Amazon EC2 that Stevedore uses, on a local port, until
interrupted. The AWS CLI and SDKs talk to it unchanged when pointed at it with
AWS_ENDPOINT_URL; it accepts any credentials and never calls AWS.

It simulates one region with three zones, a subnet per zone and a security group tagged
stevedore.dev/discovery=<cluster-name>, every catalogued instance type, instant fleets,
launch templates, public images and spot prices. A JSON admin API under /admin/ shows the
state and injects capacity shortages, throttling, latency and instances that never join.

With --hook-url, every instance that reaches running or terminated is posted as JSON,
{"event": "running" or "terminated", "instance": {...}}, to the URL, retried a few times
when it fails.

Since it accepts any credentials it listens only on loopback addresses unless --allow-remote
is given.`,
		Example: `  # Serve on a fixed port
  stevedore awssim --listen 127.0.0.1:4566

  # Then, in another shell
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
    aws --region us-east-1 ec2 describe-instances

  # Instances take 30s to boot and every EC2 call takes 200ms more
  stevedore awssim --boot-delay 30s --latency 200ms

  # Tell a local receiver when instances start and stop
  stevedore awssim --hook-url http://127.0.0.1:8080/instances

  # Make m5.large spot capacity in us-east-1a run out
  curl -d '{"instanceType":"m5.large","zone":"us-east-1a","capacityType":"spot","count":0}' \
    http://127.0.0.1:4566/admin/capacity`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAWSSim(cmd.Context(), cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on, host:port; port 0 picks a free port")
	f.StringVar(&o.region, "region", "us-east-1", "region to simulate")
	f.StringVar(&o.clusterName, "cluster-name", "sandbox", "value of the stevedore.dev/discovery tag on the simulated subnets and security group")
	f.Int64Var(&o.seed, "seed", 0, "seed for resource IDs and spot prices; the same seed replays the same IDs and prices")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow listening on a non-loopback address, exposing an API that accepts any credentials")
	f.DurationVar(&o.bootDelay, "boot-delay", 0, "how long a launched instance stays pending before it runs")
	f.DurationVar(&o.shutdownDelay, "shutdown-delay", 0, "how long a terminated instance stays shutting-down")
	f.DurationVar(&o.latency, "latency", 0, "delay added to every request to the simulated services (not to the admin API)")
	f.IntVar(&o.throttleEvery, "throttle-every", 0, "fail every Nth EC2 request with RequestLimitExceeded; 0 never does")
	f.StringVar(&o.hookURL, "hook-url", "", "URL to post each instance's running and terminated events to, as JSON")
	return cmd
}

// validate checks the flags before anything listens.
func (o *awssimOptions) validate() error {
	host, port, err := net.SplitHostPort(o.listen)
	if err != nil {
		return usageError{fmt.Errorf("--listen %q: want host:port: %w", o.listen, err)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return usageError{fmt.Errorf("--listen %q: port %q is not a number from 0 to 65535", o.listen, port)}
	}
	if ip := net.ParseIP(host); !o.allowRemote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Errorf("--listen %q is not a loopback address; the simulator accepts any credentials, so pass --allow-remote to expose it", o.listen)}
	}
	if !regionPattern.MatchString(o.region) {
		return usageError{fmt.Errorf("--region %q is not a region name such as us-east-1", o.region)}
	}
	if o.clusterName == "" {
		return usageError{errors.New("--cluster-name must not be empty")}
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{{"--boot-delay", o.bootDelay}, {"--shutdown-delay", o.shutdownDelay}, {"--latency", o.latency}} {
		if d.value < 0 {
			return usageError{fmt.Errorf("%s %s is negative; use 0s for none", d.flag, d.value)}
		}
	}
	if o.throttleEvery < 0 {
		return usageError{fmt.Errorf("--throttle-every %d is negative; use 0 to never throttle", o.throttleEvery)}
	}
	if o.hookURL != "" {
		u, err := url.Parse(o.hookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Errorf("--hook-url %q is not an absolute http or https URL such as http://127.0.0.1:8080/instances", o.hookURL)}
		}
	}
	return nil
}

func runAWSSim(ctx context.Context, cmd *cobra.Command, o *awssimOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	opts := awssim.Options{
		Region: o.region, ClusterName: o.clusterName, Seed: o.seed,
		BootDelay: o.bootDelay, ShutdownDelay: o.shutdownDelay, Latency: o.latency, ThrottleEveryNth: o.throttleEvery,
	}
	stderr := cmd.ErrOrStderr()
	if o.hookURL != "" {
		opts.Hooks = &awssim.HTTPHook{URL: o.hookURL, Log: funcr.New(func(_, args string) { fmt.Fprintln(stderr, args) }, funcr.Options{})}
	}
	sim := awssim.New(opts)
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	endpoint := "http://" + ln.Addr().String()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Simulated EC2 for region %s, cluster %s, serving on %s\n", o.region, o.clusterName, endpoint)
	fmt.Fprintf(out, "Point the AWS CLI or an SDK at it, with any credentials:\n")
	fmt.Fprintf(out, "  AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --region %s ec2 describe-instances\n", endpoint, o.region)
	fmt.Fprintf(out, "State and fault injection: %s/admin/state\n", endpoint)
	fmt.Fprintf(out, "Press Ctrl-C to stop.\n")

	// The settle loop moves instances through their states, and fires hooks, even when no request arrives.
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = sim.Run(runCtx) // nil once runCtx is cancelled, its only way to end
	}()
	defer func() {
		stopRun()
		<-ran
	}()

	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", endpoint, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the server on %s: %w", endpoint, err)
	}
	fmt.Fprintf(stderr, "Stopped.\n")
	return nil
}
