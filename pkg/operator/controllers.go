package operator

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws"
	"github.com/stevedore-dev/stevedore/pkg/controllers/disruption"
	nodetermination "github.com/stevedore-dev/stevedore/pkg/controllers/node/termination"
	claimdrift "github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/disruption"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/garbagecollection"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/lifecycle"
	claimtermination "github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/termination"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodepool/status"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/state"
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
// client, the event recorder) and opts. Metrics are registered with metrics (the manager serves controller-runtime's
// registry).
func controllers(ctx context.Context, mgr manager.Manager, opts *Options, metrics prometheus.Registerer) ([]Controller, error) {
	awsConfig, err := aws.Config(ctx, aws.ConfigOptions{Region: opts.AWSRegion, EndpointURL: opts.AWSEndpointURL})
	if err != nil {
		return nil, err
	}
	cluster, err := clusterOf(mgr.GetConfig(), opts)
	if err != nil {
		return nil, err
	}
	versions, err := discovery.NewDiscoveryClientForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("building discovery client: %w", err)
	}
	provider := aws.New(awsConfig, mgr.GetClient(), mgr.GetEventRecorder("stevedore"), aws.Options{
		Cluster:                 cluster,
		VMMemoryOverheadPercent: opts.VMMemoryOverheadPercent,
		KubernetesVersion:       func(context.Context) (string, error) { return minorVersion(versions) },
		Log:                     log.FromContext(ctx).WithName("aws"),
	})
	recorder := mgr.GetEventRecorder("stevedore")
	nodeTermination, err := nodetermination.NewController(nodetermination.Dependencies{
		Client: mgr.GetClient(), Cloud: provider.CloudProvider, Clock: clock.RealClock{}, Recorder: recorder, Registerer: metrics,
	})
	if err != nil {
		return nil, err
	}
	claimTermination, err := claimtermination.NewController(claimtermination.Dependencies{
		Client: mgr.GetClient(), Cloud: provider.CloudProvider, Clock: clock.RealClock{}, Recorder: recorder, Registerer: metrics,
	})
	if err != nil {
		return nil, err
	}
	claimLifecycle, err := lifecycle.NewController(lifecycle.Dependencies{
		Client: mgr.GetClient(), CloudProvider: provider.CloudProvider, Clock: clock.RealClock{}, Recorder: recorder, Registerer: metrics,
	}, lifecycle.Options{RegistrationTTL: opts.RegistrationTTL})
	if err != nil {
		return nil, err
	}
	claimDrift := claimdrift.NewController(claimdrift.Dependencies{
		Client: mgr.GetClient(), CloudProvider: provider.CloudProvider, Clock: clock.RealClock{}, Recorder: recorder,
		NodeClasses: []schema.GroupVersionKind{awsv1.SchemeGroupVersion.WithKind("EC2NodeClass")},
	})
	clusterState := state.New(mgr.GetClient(), provider.CloudProvider, clock.RealClock{}, state.Options{NominationTTL: 2 * opts.BatchMaxDuration})
	provisioner, err := provisioning.NewController(provisioning.Dependencies{
		Client: mgr.GetClient(), Cluster: clusterState, Clock: clock.RealClock{}, Recorder: recorder, Registerer: metrics,
	}, provisioning.Options{BatchIdleDuration: opts.BatchIdleDuration, BatchMaxDuration: opts.BatchMaxDuration})
	if err != nil {
		return nil, err
	}
	disrupter, err := disruption.NewController(disruption.Dependencies{
		Client: mgr.GetClient(), Cluster: clusterState, Clock: clock.RealClock{}, Recorder: recorder, Registerer: metrics,
	}, disruption.Options{SpotToSpotConsolidation: opts.FeatureGates.Enabled(FeatureSpotToSpotConsolidation)})
	if err != nil {
		return nil, err
	}
	return []Controller{
		awsProvider{provider},
		provisioner,
		disrupter,
		claimLifecycle,
		claimDrift,
		nodeTermination,
		claimTermination,
		provider.NodeClass,
		garbagecollection.NewController(mgr.GetClient(), provider.CloudProvider, clock.RealClock{}, garbagecollection.Options{
			Interval: opts.GarbageCollectionInterval, GracePeriod: opts.GarbageCollectionGracePeriod,
		}),
		status.NewController(mgr.GetClient(), status.NodeClassKinds{
			{Group: awsv1.Group, Kind: "EC2NodeClass"}: awsv1.SchemeGroupVersion.Version,
		}),
	}, nil
}

// awsProvider registers the AWS provider's background loops.
type awsProvider struct{ *aws.Provider }

// Name identifies the provider's loops in errors.
func (awsProvider) Name() string { return "aws" }

// clusterOf is what nodes need to join: the endpoint from --cluster-endpoint, else the one this process
// reaches, and the API server's certificate authority from the rest config.
func clusterOf(cfg *rest.Config, opts *Options) (aws.Cluster, error) {
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		data, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return aws.Cluster{}, fmt.Errorf("reading the cluster's certificate authority: %w", err)
		}
		ca = data
	}
	endpoint := opts.ClusterEndpoint
	if endpoint == "" {
		endpoint = cfg.Host
	}
	return aws.Cluster{Name: opts.ClusterName, Endpoint: endpoint, CA: ca, ServiceCIDR: opts.ServiceCIDR}, nil
}

// minorVersion is the API server's major.minor version, such as 1.37 (EKS reports minors like "37+").
func minorVersion(client discovery.ServerVersionInterface) (string, error) {
	v, err := client.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("reading the Kubernetes version: %w", err)
	}
	return v.Major + "." + strings.TrimRight(v.Minor, "+"), nil
}
