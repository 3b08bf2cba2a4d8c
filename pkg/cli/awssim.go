package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

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
state and injects capacity shortages and throttling.

Since it accepts any credentials it listens only on loopback addresses unless --allow-remote
is given.`,
		Example: `  # Serve on a fixed port
  stevedore awssim --listen 127.0.0.1:4566

  # Then, in another shell
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
    aws --region us-east-1 ec2 describe-instances

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
	return nil
}

func runAWSSim(ctx context.Context, cmd *cobra.Command, o *awssimOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	sim := awssim.New(awssim.Options{Region: o.region, ClusterName: o.clusterName, Seed: o.seed})
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	url := "http://" + ln.Addr().String()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Simulated EC2 for region %s, cluster %s, serving on %s\n", o.region, o.clusterName, url)
	fmt.Fprintf(out, "Point the AWS CLI or an SDK at it, with any credentials:\n")
	fmt.Fprintf(out, "  AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --region %s ec2 describe-instances\n", url, o.region)
	fmt.Fprintf(out, "State and fault injection: %s/admin/state\n", url)
	fmt.Fprintf(out, "Press Ctrl-C to stop.\n")

	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", url, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the server on %s: %w", url, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Stopped.\n")
	return nil
}
