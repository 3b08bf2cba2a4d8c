package harness

import (
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// simSpot prices spot offerings as the sandbox's simulator does now, which is what the controller reads from
// DescribeSpotPriceHistory.
type simSpot struct{ s *Sandbox }

// SpotPrice is the simulator's spot price for the type in the zone now.
func (p simSpot) SpotPrice(instanceType, zone string) (float64, bool) {
	return p.s.Info.Simulator.SpotPrice(instanceType, zone, time.Now())
}

// Price is what one instance costs per hour in the sandbox: the catalog's on-demand price, or the simulator's
// spot price now.
func (s *Sandbox) Price(t testing.TB, instanceType, zone, capacityType string) float64 {
	t.Helper()
	var p float64
	var ok bool
	if capacityType == v1.CapacityTypeSpot {
		p, ok = simSpot{s}.SpotPrice(instanceType, zone)
	} else {
		prices, _, _ := catalog.OnDemandPrices(sandbox.DefaultRegion)
		p, ok = prices[instanceType]
	}
	if !ok {
		t.Fatalf("no %s price for %s in %s", capacityType, instanceType, zone)
	}
	return p
}

// FleetPrice is what the cluster's launched NodeClaims cost per hour now.
func (s *Sandbox) FleetPrice(t testing.TB) float64 {
	t.Helper()
	claims, err := s.NodeClaims(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, c := range claims {
		it := c.Labels[corev1.LabelInstanceTypeStable]
		if c.Status.ProviderID == "" || it == "" || !c.DeletionTimestamp.IsZero() {
			continue
		}
		total += s.Price(t, it, c.Labels[corev1.LabelTopologyZone], c.Labels[v1.CapacityTypeLabelKey])
	}
	return total
}

// PoolInstanceTypes are the instance types the sandbox's default NodePool may launch, computed from the live
// NodePool and EC2NodeClass the way `stevedore plan` computes them offline, priced as the sandbox prices them.
func (s *Sandbox) PoolInstanceTypes(t testing.TB) (*v1.NodePool, []*cloudprovider.InstanceType) {
	t.Helper()
	ctx := t.Context()
	np, nc := &v1.NodePool{}, &awsv1.EC2NodeClass{}
	if err := s.Client.Get(ctx, client.ObjectKey{Name: sandbox.DefaultName}, np); err != nil {
		t.Fatal(err)
	}
	if err := s.Client.Get(ctx, client.ObjectKey{Name: sandbox.DefaultName}, nc); err != nil {
		t.Fatal(err)
	}
	provider := instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic(sandbox.DefaultRegion, simSpot{s}, logr.Discard()),
		instancetype.Options{Region: sandbox.DefaultRegion, VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent})
	zones := []string{sandbox.DefaultRegion + "a", sandbox.DefaultRegion + "b", sandbox.DefaultRegion + "c"}
	types, err := provider.InstanceTypes(ctx, instancetype.Request{NodeClass: nc, NodePool: np, Zones: zones})
	if err != nil {
		t.Fatalf("computing the pool's instance types: %v", err)
	}
	return np, types
}

// FreshPlan is the solver's plan for the pods on an empty cluster, as `stevedore plan` would print it with the
// sandbox's prices: what a fresh packing of them costs.
func (s *Sandbox) FreshPlan(t testing.TB, pods []*corev1.Pod) *solver.Plan {
	t.Helper()
	np, instanceTypes := s.PoolInstanceTypes(t)
	return solver.Solve(&solver.Snapshot{
		Pods:      pods,
		NodePools: []*solver.NodePool{{NodePool: np, InstanceTypes: instanceTypes}},
	})
}
