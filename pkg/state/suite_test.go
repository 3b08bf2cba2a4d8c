package state_test

import (
	"context"
	"os"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/state"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// instanceType has cpu cores, memory GiB and 110 pods, on demand in zone test-1a, with cpuOverhead millicores
// held back as kube-reserved.
func instanceType(name string, cpu, memGiB, cpuOverhead int64, price float64) *cloudprovider.InstanceType {
	return &cloudprovider.InstanceType{
		Name: name,
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
			scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
			scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "test-1a"),
			scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand),
		),
		Offerings: cloudprovider.Offerings{{Zone: "test-1a", CapacityType: v1.CapacityTypeOnDemand, Price: price, Available: true}},
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewQuantity(cpu, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(memGiB<<30, resource.BinarySI),
			corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
		},
		Overhead: cloudprovider.Overhead{KubeReserved: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(cpuOverhead, resource.DecimalSI)}},
	}
}

// fixture is a model over the package's API server, read directly (so a test reads its own writes) and fed by
// hand where informers would feed it.
type fixture struct {
	ctx     context.Context
	cloud   *fake.CloudProvider
	cluster *state.Cluster
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{ctx: test.Context(t), cloud: fake.New(instanceType("small", 2, 4, 100, 0.1), instanceType("large", 8, 32, 200, 0.4))}
	f.cluster = state.New(env.Client, f.cloud, env.Clock, state.Options{})
	t.Cleanup(func() { cleanup(t) })
	return f
}

// sync delivers every Node and NodeClaim the API server holds to the model, as the informers would.
func (f *fixture) sync(t *testing.T) {
	t.Helper()
	var nodes corev1.NodeList
	var claims v1.NodeClaimList
	if err := env.Client.List(f.ctx, &nodes); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.List(f.ctx, &claims); err != nil {
		t.Fatal(err)
	}
	for i := range nodes.Items {
		f.cluster.UpdateNode(&nodes.Items[i])
	}
	for i := range claims.Items {
		f.cluster.UpdateNodeClaim(&claims.Items[i])
	}
}

// cleanup removes what a test created, finalizers and all, so tests sharing the API server stay independent.
func cleanup(t *testing.T) {
	ctx := context.Background()
	var pods corev1.PodList
	if err := env.Client.List(ctx, &pods); err == nil {
		for i := range pods.Items {
			_ = env.Client.Delete(ctx, &pods.Items[i], client.GracePeriodSeconds(0))
		}
	}
	var claims v1.NodeClaimList
	if err := env.Client.List(ctx, &claims); err == nil {
		for i := range claims.Items {
			c := &claims.Items[i]
			if len(c.Finalizers) > 0 {
				c.Finalizers = nil
				_ = env.Client.Update(ctx, c)
			}
			_ = env.Client.Delete(ctx, c)
		}
	}
	var nodes corev1.NodeList
	if err := env.Client.List(ctx, &nodes); err == nil {
		for i := range nodes.Items {
			_ = env.Client.Delete(ctx, &nodes.Items[i])
		}
	}
	var dss appsv1.DaemonSetList
	if err := env.Client.List(ctx, &dss); err == nil {
		for i := range dss.Items {
			_ = env.Client.Delete(ctx, &dss.Items[i])
		}
	}
	var pools v1.NodePoolList
	if err := env.Client.List(ctx, &pools); err == nil {
		for i := range pools.Items {
			_ = env.Client.Delete(ctx, &pools.Items[i])
		}
	}
}

func cpu(q string) corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}
}
