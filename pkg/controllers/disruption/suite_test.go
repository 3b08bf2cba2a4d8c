package disruption_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/disruption"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/state"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) {
	log.SetLogger(logr.Discard())
	os.Exit(test.Run(m, &env))
}

const zone = "test-1a"

// instanceType has cpu cores and 4 GiB per core, on demand in zone, with no overhead.
func instanceType(name string, cpu int64, price float64) *cloudprovider.InstanceType {
	return &cloudprovider.InstanceType{
		Name: name,
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
			scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
			scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, zone),
			scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand),
		),
		Offerings: cloudprovider.Offerings{{Zone: zone, CapacityType: v1.CapacityTypeOnDemand, Price: price, Available: true}},
		Capacity:  resources(cpu),
	}
}

func resources(cpu int64) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(cpu, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(cpu*4<<30, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
	}
}

// sizes maps the fixture's types to their cores.
var sizes = map[string]int64{"small": 2, "medium": 4, "xlarge": 16}

type fixture struct {
	ctx        context.Context
	t          *testing.T
	pool       *v1.NodePool
	cluster    *state.Cluster
	controller *disruption.Controller
	registry   *prometheus.Registry
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{ctx: test.Context(t), t: t, registry: prometheus.NewRegistry()}
	// The API server stamps objects with the real time, which consolidateAfter is measured from.
	env.Clock.SetTime(time.Now())
	cloud := fake.New(instanceType("small", 2, 0.10), instanceType("medium", 4, 0.20), instanceType("xlarge", 16, 0.80))
	f.cluster = state.New(env.Client, cloud, env.Clock, state.Options{})
	f.pool = test.NodePool("default", test.WithNodePoolSpec(func(s *v1.NodePoolSpec) {
		s.Disruption.ConsolidateAfter = v1.NewNillableDuration(30 * time.Second)
		s.Disruption.Budgets = []v1.Budget{{Nodes: "100%"}}
	}))
	test.ExpectApplied(f.ctx, t, env.Client, f.pool)
	c, err := disruption.NewController(disruption.Dependencies{
		Client: env.Client, Cluster: f.cluster, Clock: env.Clock, Recorder: events.NewFakeRecorder(100), Registerer: f.registry,
	}, disruption.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.controller = c
	t.Cleanup(func() { cleanup(t) })
	return f
}

// node creates an initialized Node of the type with its NodeClaim, created an hour ago on the fake clock.
func (f *fixture) node(typ string) (*corev1.Node, *v1.NodeClaim) {
	f.t.Helper()
	labels := []string{
		corev1.LabelInstanceTypeStable, typ, corev1.LabelTopologyZone, zone, corev1.LabelArchStable, "amd64",
		v1.CapacityTypeLabelKey, v1.CapacityTypeOnDemand, v1.NodePoolLabelKey, f.pool.Name, v1.NodeInitializedLabelKey, "true",
	}
	n := test.Node(test.WithLabels(labels...), test.WithAllocatable(resources(sizes[typ])))
	test.ExpectApplied(f.ctx, f.t, env.Client, n)
	nc := test.NodeClaim(f.pool.Name, "default", test.WithLabels(labels...))
	test.ExpectApplied(f.ctx, f.t, env.Client, nc)
	nc.Status.NodeName, nc.Status.ProviderID = n.Name, "fake:///"+n.Name
	if err := env.Client.Status().Update(f.ctx, nc); err != nil {
		f.t.Fatal(err)
	}
	return n, nc
}

// pods binds n pods requesting cpu to the node.
func (f *fixture) pods(node *corev1.Node, n int, cpu string, opts ...test.Option) []*corev1.Pod {
	f.t.Helper()
	var out []*corev1.Pod
	for range n {
		p := test.Pod(append([]test.Option{test.WithNodeName(node.Name), test.WithRequests(cpu, "1Gi")}, opts...)...)
		test.ExpectApplied(f.ctx, f.t, env.Client, p)
		out = append(out, p)
	}
	return out
}

// pass syncs the model with the API server, as the informers would, with every node quiet for an hour, and
// runs a pass.
func (f *fixture) pass() {
	f.t.Helper()
	var nodes corev1.NodeList
	var claims v1.NodeClaimList
	if err := env.Client.List(f.ctx, &nodes); err != nil {
		f.t.Fatal(err)
	}
	if err := env.Client.List(f.ctx, &claims); err != nil {
		f.t.Fatal(err)
	}
	for i := range nodes.Items {
		f.cluster.UpdateNode(&nodes.Items[i])
	}
	for i := range claims.Items {
		f.cluster.UpdateNodeClaim(&claims.Items[i])
	}
	if _, err := f.controller.Pass(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

// advance waits until the running command waits on the clock, then moves the clock by d.
func (f *fixture) advance(d time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !env.Clock.HasWaiters() {
		if time.Now().After(deadline) {
			f.t.Fatal("the command never waited on the clock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	env.Clock.Step(d)
}

// condition reads the claim's Consolidatable condition.
func (f *fixture) condition(nc *v1.NodeClaim) *metav1.Condition {
	f.t.Helper()
	var got v1.NodeClaim
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(nc), &got); err != nil {
		f.t.Fatal(err)
	}
	for i := range got.Status.Conditions {
		if got.Status.Conditions[i].Type == v1.ConditionTypeConsolidatable {
			return &got.Status.Conditions[i]
		}
	}
	return nil
}

func (f *fixture) decisions(method, action, outcome string) float64 {
	m, err := f.registry.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, mf := range m {
		if mf.GetName() != "stevedore_disruption_decisions_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["method"] == method && labels["action"] == action && labels["outcome"] == outcome {
				return metric.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func tainted(t *testing.T, ctx context.Context, name string) bool {
	t.Helper()
	var n corev1.Node
	if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, &n); err != nil {
		t.Fatal(err)
	}
	for _, taint := range n.Spec.Taints {
		if taint.Key == v1.DisruptedTaintKey {
			return true
		}
	}
	return false
}

func cleanup(t *testing.T) {
	ctx := context.Background()
	for _, list := range []client.ObjectList{&corev1.PodList{}, &v1.NodeClaimList{}, &corev1.NodeList{}, &v1.NodePoolList{}} {
		if err := env.Client.List(ctx, list); err != nil {
			t.Fatal(err)
		}
		items, err := apimeta.ExtractList(list)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range items {
			o := item.(client.Object)
			o.SetFinalizers(nil)
			_ = env.Client.Update(ctx, o)
			_ = env.Client.Delete(ctx, o, client.GracePeriodSeconds(0))
		}
	}
}
