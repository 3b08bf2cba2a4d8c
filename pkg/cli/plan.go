package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/manifest"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// planOptions are the flags of `stevedore plan`.
type planOptions struct {
	files             []string
	kubeconfig        string
	kubeContext       string
	region            string
	zones             []string
	cniMode           string
	ignorePreferences bool
	output            outputFormat
	consolidateOptions
	awsPricesOptions
}

func newPlanCommand() *cobra.Command {
	o := &planOptions{consolidateOptions: consolidateOptions{clock: clock.RealClock{}}}
	cmd := &cobra.Command{
		Use:   "plan (-f PATH... | --kubeconfig FILE) [--consolidate]",
		Short: "Show where pending pods would go and which nodes Stevedore would launch or consolidate",
		Long: `Read Kubernetes manifests and show what Stevedore's provisioner would do with them: which pending pods
fit on the existing nodes, which new nodes it would launch (instance type, zone, capacity type and
price) for the rest, and which pods cannot be scheduled and why. With -f nothing is contacted: the
manifests, the instance-type catalog built into this binary and its on-demand prices are all it uses.
With --kubeconfig the same kinds are read from a live cluster instead (read only; nothing is changed).

The manifests may hold Pods, Deployments, ReplicaSets, StatefulSets and Jobs (expanded into the pods
their controllers would create), DaemonSets, Nodes, PersistentVolumeClaims, PersistentVolumes,
StorageClasses, PodDisruptionBudgets, NodePools, NodeClaims and EC2NodeClasses; other kinds are
ignored. Pods with spec.nodeName run on that node; the others are pending. Without a NodePool in the
manifests, a built-in one named default is used: on-demand or spot, amd64, instance categories c, m
and r of generation 5 or later, in the --zones.

Offline, spot has no price: plans launch on-demand capacity, and with --consolidate spot nodes count as
$0/h, so their consolidation cannot be predicted. --aws-prices reads the region's current spot prices
from EC2 with the AWS SDK's usual credentials (environment, shared files, SSO, instance role); it needs
only the read-only ec2:DescribeSpotPriceHistory permission. On-demand prices still come from the catalog.
For the sandbox, add --aws-endpoint-url with the simulator URL it printed; any credentials will do.

With --consolidate, plan shows what the disruption controller would do now with the existing nodes
instead: expiration, drift, emptiness, multi-node and single-node consolidation, in that order, with
the nodes each command removes, the nodes it launches first, the pods that move and what it saves;
and for every node kept, the rule that keeps it and what that rule holds back. Only Nodes labelled
stevedore.dev/nodepool=<pool> and node.kubernetes.io/instance-type=<type> are candidates, and a node
counts as initialized only when it is labelled stevedore.dev/initialized=true, as the controller
labels the nodes it launched. NodeClaims are matched to Nodes by status.nodeName, so expiry
(spec.expireAfter) and drift (the Drifted condition) show. A PodDisruptionBudget without a status
has its status computed from the pods in the manifests, counting bound pods as healthy.`,
		Example: `  # Plan a deployment onto the default NodePool
  stevedore plan -f deployment.yaml

  # A directory of manifests with your own NodePools and EC2NodeClass, in another region
  stevedore plan -f manifests/ -f nodepools.yaml --region us-gov-west-1

  # A live cluster's pending pods with prefix delegation, as JSON
  kubectl get nodes,daemonsets,pods -A -o yaml | stevedore plan -f - --cni-mode prefix-delegation -o json

  # What consolidation would do in a live cluster now, and an hour from now
  stevedore plan --kubeconfig ~/.kube/config --consolidate
  stevedore plan --kubeconfig ~/.kube/config --consolidate --now 2026-11-26T13:00:00Z

  # The same with spot nodes priced from EC2; against the sandbox, also pass its simulator URL
  stevedore plan --kubeconfig ~/.kube/config --consolidate --aws-prices
  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x stevedore plan --kubeconfig <printed path> --consolidate \
    --aws-prices --aws-endpoint-url <printed simulator URL>`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlan(cmd.Context(), cmd, o) },
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.files, "filename", "f", nil, "manifests to read: YAML or JSON files, directories (recursively) or - for stdin; repeat the flag for more")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "read the cluster this kubeconfig file points at instead of manifests (read only)")
	f.StringVar(&o.kubeContext, "context", "", "the kubeconfig context to use (default: its current context)")
	f.StringVar(&o.region, "region", "us-east-1", "AWS region whose on-demand (and, with --aws-prices, spot) prices to use")
	f.StringSliceVar(&o.zones, "zones", nil, "availability zones new nodes may use (default: the region's a, b and c zones)")
	f.StringVar(&o.cniMode, "cni-mode", "", "VPC CNI mode, overriding the EC2NodeClasses': secondary-ip (the default), prefix-delegation or custom-networking")
	f.BoolVar(&o.ignorePreferences, "ignore-preferences", false, "treat preferred affinity and ScheduleAnyway topology spread as absent")
	o.consolidateOptions.addFlags(f)
	o.awsPricesOptions.addFlags(f)
	addOutputFlag(cmd, &o.output, outputTable, outputJSON)
	return cmd
}

func runPlan(ctx context.Context, cmd *cobra.Command, o *planOptions) error {
	if err := o.validate(); err != nil {
		return usageError{err}
	}
	objects, err := o.load(ctx, cmd.InOrStdin())
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	if _, currency, ok := catalog.OnDemandPrices(o.region); !ok || currency != catalog.USD {
		fmt.Fprintf(stderr, "Warning: the catalog has no US-dollar prices for %s; using %s prices.\n", o.region, pricing.FallbackRegion)
	}
	spot, err := o.spotPrices(ctx)
	if err != nil {
		return err
	}
	b := snapshotBuilder{opts: o, objects: objects, warnings: stderr, spot: spot}
	snapshot, err := b.build(ctx)
	if err != nil {
		return err
	}
	if o.consolidate {
		return o.runConsolidate(cmd, &b, snapshot)
	}
	start := time.Now()
	plan := solver.Solve(snapshot)
	report := newPlanReport(len(snapshot.Pods), plan, time.Since(start), objects.Ignored)
	if o.output.value == outputJSON {
		return writeJSON(cmd.OutOrStdout(), report)
	}
	return report.writeTable(cmd.OutOrStdout(), b.defaultPool)
}

// load reads the manifests, or the cluster. Errors in the manifests are usage errors; a cluster that cannot be
// read is a failure.
func (o *planOptions) load(ctx context.Context, stdin io.Reader) (*manifest.Objects, error) {
	if o.kubeconfig != "" {
		return readCluster(ctx, o.kubeconfig, o.kubeContext)
	}
	objects, err := manifest.Load(o.files, stdin)
	if err != nil {
		return nil, usageError{err}
	}
	return objects, nil
}

// validate checks the flags and fills in the default zones.
func (o *planOptions) validate() error {
	var errs []error
	switch {
	case len(o.files) == 0 && o.kubeconfig == "":
		errs = append(errs, errors.New("-f/--filename or --kubeconfig is required: name the manifests to plan (files, directories or - for stdin), or a kubeconfig file to read a live cluster"))
	case len(o.files) > 0 && o.kubeconfig != "":
		errs = append(errs, errors.New("-f/--filename and --kubeconfig exclude each other: plan either manifests or a live cluster, and drop the other flag"))
	}
	if o.kubeContext != "" && o.kubeconfig == "" {
		errs = append(errs, errors.New("--context selects a context of --kubeconfig: add --kubeconfig FILE, or drop --context"))
	}
	if !regionPattern.MatchString(o.region) {
		errs = append(errs, fmt.Errorf("--region %q is not an AWS region name such as us-east-1", o.region))
	}
	for _, z := range o.zones {
		if !strings.HasPrefix(z, o.region) {
			errs = append(errs, fmt.Errorf("--zones: %q is not a zone of region %s (zones look like %sa)", z, o.region, o.region))
		}
	}
	if len(o.zones) == 0 {
		o.zones = []string{o.region + "a", o.region + "b", o.region + "c"}
	}
	if o.cniMode != "" {
		if err := validCNIMode(awsv1.CNIMode(o.cniMode)); err != nil {
			errs = append(errs, fmt.Errorf("--cni-mode: %w", err))
		}
	}
	errs = append(errs, o.consolidateOptions.validate()...)
	errs = append(errs, o.awsPricesOptions.validate()...)
	return errors.Join(errs...)
}
