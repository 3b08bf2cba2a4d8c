package aws

import (
	"context"
	"errors"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/stevedore-dev/stevedore/pkg/aws/ami"
	"github.com/stevedore-dev/stevedore/pkg/aws/ice"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/aws/instanceprofile"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/launchtemplate"
	"github.com/stevedore-dev/stevedore/pkg/aws/network"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
)

// LaunchTemplateGCInterval is how often unused launch templates are looked for; they are deleted only after a
// day unused, so an hour's delay costs nothing.
const LaunchTemplateGCInterval = time.Hour

// Options configure the AWS provider.
type Options struct {
	// Cluster is what nodes join.
	Cluster Cluster
	// VMMemoryOverheadPercent is the controller's --vm-memory-overhead-percent.
	VMMemoryOverheadPercent float64
	// KubernetesVersion returns the cluster's minor version, such as "1.37", for EKS-optimised image aliases.
	KubernetesVersion func(context.Context) (string, error)
	// Clock is the real clock unless a test sets another.
	Clock clock.WithTicker
	// Log receives the background loops' messages.
	Log logr.Logger
}

// Provider is the AWS provider assembled: the CloudProvider, the EC2NodeClass controller, and the loops that
// keep its data fresh. Register adds the loops to a manager.
type Provider struct {
	CloudProvider *CloudProvider
	NodeClass     *nodeclass.Controller
	// Unavailable is the cache of offerings EC2 recently had no capacity for.
	Unavailable *ice.Cache

	refreshers []refresher
	templates  *launchtemplate.Provider
	clock      clock.WithTicker
	log        logr.Logger
}

// New builds the provider's parts over one AWS SDK configuration (see Config). The Pricing API is called in
// PricingRegion unless the configuration overrides every endpoint (a simulator).
func New(cfg sdkaws.Config, kube client.Client, recorder events.EventRecorder, opts Options) *Provider {
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	ec2Client := ec2.NewFromConfig(cfg)
	ssmClient := ssm.NewFromConfig(cfg)
	iamClient := iam.NewFromConfig(cfg)
	pricingClient := awspricing.NewFromConfig(cfg, func(o *awspricing.Options) {
		if o.BaseEndpoint == nil {
			o.Region = PricingRegion
		}
	})

	unavailable := ice.New(clk, ice.DefaultTTL)
	facts := instancetype.NewEC2Source(ec2Client, clk, instancetype.EC2Options{Log: opts.Log, Fallback: catalog.InstanceTypes()})
	offerings := instancetype.NewOfferingsSource(ec2Client, clk, instancetype.OfferingsOptions{Log: opts.Log})
	onDemand := pricing.NewOnDemand(pricingClient, cfg.Region, clk, opts.Log)
	spot := pricing.NewSpot(ec2Client, clk, opts.Log, pricing.SpotOptions{})
	types := instancetype.NewProvider(facts, pricing.NewLive(onDemand, spot), instancetype.Options{
		Region: cfg.Region, VMMemoryOverheadPercent: opts.VMMemoryOverheadPercent, Unavailable: unavailable, Offerings: offerings,
	})
	subnets := network.New(ec2Client, clk)
	templates := launchtemplate.New(ec2Client, opts.Cluster.Name, clk, launchtemplate.Options{})
	cloud := NewCloudProvider(Dependencies{
		Kube: kube, Cluster: opts.Cluster, InstanceTypes: types, Subnets: subnets, Templates: templates,
		Instances: instance.NewProvider(ec2Client, opts.Cluster.Name, unavailable),
	})
	controller := nodeclass.NewController(nodeclass.Dependencies{
		Client: kube, Network: subnets, AMIs: ami.New(ec2Client, ssmClient, clk),
		InstanceProfiles:  instanceprofile.New(iamClient, opts.Cluster.Name, cfg.Region, clk),
		LaunchTemplates:   templates,
		KubernetesVersion: opts.KubernetesVersion,
		Recorder:          recorder,
	})
	return &Provider{
		CloudProvider: cloud, NodeClass: controller, Unavailable: unavailable,
		refreshers: []refresher{facts, offerings, onDemand, spot},
		templates:  templates, clock: clk, log: opts.Log,
	}
}

// refresher is a cache of AWS data: Refresh reloads it once, Start reloads it periodically until its context ends.
type refresher interface {
	Refresh(ctx context.Context) error
	Start(ctx context.Context) error
}

// Refresh loads instance types, zonal offerings and prices once, so the first solve sees AWS's data rather than
// the embedded catalog's. The sources are independent and each pages through a large API answer, so they are
// loaded concurrently: a starting controller waits for the slowest, not for their sum. Every source is tried;
// the errors are joined.
func (p *Provider) Refresh(ctx context.Context) error {
	errs := make([]error, len(p.refreshers))
	var wg sync.WaitGroup
	for i, r := range p.refreshers {
		wg.Go(func() { errs[i] = r.Refresh(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Register adds the refresh loops (on every replica, so a new leader starts warm) and launch-template
// garbage collection (on the leader) to mgr. The EC2NodeClass controller registers itself separately.
func (p *Provider) Register(mgr manager.Manager) error {
	for _, r := range p.refreshers {
		if err := mgr.Add(everyReplica{r}); err != nil {
			return err
		}
	}
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		ticker := p.clock.NewTicker(LaunchTemplateGCInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-ticker.C():
				if err := p.templates.GarbageCollect(ctx); err != nil && ctx.Err() == nil {
					p.log.Error(err, "collecting unused launch templates")
				}
			}
		}
	}))
}

// everyReplica runs a Runnable whether or not this replica leads.
type everyReplica struct{ manager.Runnable }

// NeedLeaderElection is false: caches are refreshed on every replica.
func (everyReplica) NeedLeaderElection() bool { return false }
