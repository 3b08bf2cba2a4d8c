package lifecycle_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/lifecycle"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

const pool = "default"

// fixture is a controller talking to the package's API server and to the fake cloud provider, with its own fake
// clock, event recorder and metrics registry.
type fixture struct {
	// zone is where the fake cloud sells; it is unique to the test because the fake numbers its instances from 1,
	// and provider IDs (fake:///<zone>/i-<n>) must not collide with another test's Nodes.
	zone       string
	cloud      *fake.CloudProvider
	clock      *clocktesting.FakeClock
	recorder   *events.FakeRecorder
	registry   *prometheus.Registry
	controller *lifecycle.Controller
	kube       client.Client
	// writes counts the controller's patches of NodeClaims and Nodes, status included.
	writes atomic.Int64
}

func setup(t *testing.T) *fixture {
	t.Helper()
	zone := test.RandomName("zone")
	f := &fixture{
		zone:     zone,
		cloud:    fake.New(m5Large(zone, nil)),
		clock:    clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		recorder: events.NewFakeRecorder(100),
		registry: prometheus.NewRegistry(),
	}
	direct, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	counted := interceptor.NewClient(direct, interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			f.writes.Add(1)
			return c.Patch(ctx, obj, patch, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			f.writes.Add(1)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	f.kube = counted
	f.controller = newController(t, f, f.cloud)
	return f
}

// newController builds a controller on the fixture's client, clock, recorder and registry.
func newController(t *testing.T, f *fixture, cloud cloudprovider.CloudProvider) *lifecycle.Controller {
	t.Helper()
	c, err := lifecycle.NewController(lifecycle.Dependencies{
		Client: f.kube, CloudProvider: cloud, Clock: f.clock, Recorder: f.recorder, Registerer: f.registry,
	}, lifecycle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// m5Large is the one instance type the fake cloud sells, on demand in one zone, with extra capacity (a GPU, say).
func m5Large(zone string, extra corev1.ResourceList) *cloudprovider.InstanceType {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("2"),
		corev1.ResourceMemory: resource.MustParse("8Gi"),
		corev1.ResourcePods:   resource.MustParse("29"),
	}
	for k, v := range extra {
		capacity[k] = v
	}
	return &cloudprovider.InstanceType{
		Name: "m5.large",
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, "m5.large"),
			scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
		),
		Offerings: cloudprovider.Offerings{{Zone: zone, CapacityType: v1.CapacityTypeOnDemand, Price: 0.096, Available: true}},
		Capacity:  capacity,
	}
}

// claim creates a NodeClaim as the provisioner would (finalizer included unless the options say otherwise) and
// removes it, finalizer and all, when the test ends.
func claim(t *testing.T, opts ...test.Option) *v1.NodeClaim {
	t.Helper()
	nc := test.NodeClaim(pool, "default", opts...)
	ctx := test.Context(t)
	test.ExpectApplied(ctx, t, env.Client, nc)
	t.Cleanup(func() { forget(context.WithoutCancel(ctx), nc) })
	return nc
}

// node creates a Node as a kubelet of the claim's instance would: its provider ID, and the unregistered taint
// plus the given taints from its user data; it is removed when the test ends. A Node is created with its status in
// one write, so a controller running alongside cannot race a second one.
func node(t *testing.T, nc *v1.NodeClaim, opts ...test.Option) *corev1.Node {
	t.Helper()
	opts = append([]test.Option{
		withProviderID(nc.Status.ProviderID),
		test.WithTaints(corev1.Taint{Key: v1.UnregisteredTaintKey, Effect: corev1.TaintEffectNoExecute}),
	}, opts...)
	n := test.Node(opts...)
	ctx := test.Context(t)
	if err := env.Client.Create(ctx, n); err != nil {
		t.Fatalf("creating node %s: %v", n.Name, err)
	}
	t.Cleanup(func() { forget(context.WithoutCancel(ctx), n) })
	return n
}

func withProviderID(id string) test.Option {
	return func(o client.Object) { o.(*corev1.Node).Spec.ProviderID = id }
}

func withNodeReady(status corev1.ConditionStatus) test.Option {
	return func(o client.Object) {
		o.(*corev1.Node).Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}
	}
}

func withClaimTaints(taints, startup []v1.Taint) test.Option {
	return func(o client.Object) {
		nc := o.(*v1.NodeClaim)
		nc.Spec.Taints, nc.Spec.StartupTaints = taints, startup
	}
}

// forget strips an object's finalizers and deletes it.
func forget(ctx context.Context, obj client.Object) {
	stored := obj.DeepCopyObject().(client.Object)
	if env.Client.Get(ctx, client.ObjectKeyFromObject(obj), stored) == nil {
		patch := client.MergeFrom(stored.DeepCopyObject().(client.Object))
		stored.SetFinalizers(nil)
		_ = env.Client.Patch(ctx, stored, patch)
		_ = env.Client.Delete(ctx, stored)
	}
}

// get refreshes obj from the API server.
func get[T client.Object](t *testing.T, obj T) T {
	t.Helper()
	test.ExpectExists(test.Context(t), t, env.Client, obj)
	return obj
}

// condition returns the claim's condition of type ct, failing the test if it has none.
func condition(t *testing.T, nc *v1.NodeClaim, ct string) metav1.Condition {
	t.Helper()
	c := nc.Conditions().Get(ct)
	if c == nil {
		t.Fatalf("nodeclaim %s has no %s condition; conditions: %+v", nc.Name, ct, nc.Status.Conditions)
	}
	return *c
}

func expectCondition(t *testing.T, nc *v1.NodeClaim, ct string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	if c := condition(t, nc, ct); c.Status != status || c.Reason != reason {
		t.Errorf("%s = %s/%s (%q), want %s/%s", ct, c.Status, c.Reason, c.Message, status, reason)
	}
}

// events drains the events recorded so far.
func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func (f *fixture) expectEvent(t *testing.T, fragments ...string) {
	t.Helper()
	got := f.events()
	for _, e := range got {
		if containsAll(e, fragments) {
			return
		}
	}
	t.Errorf("no event contains %q; events: %q", fragments, got)
}

func containsAll(s string, fragments []string) bool {
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			return false
		}
	}
	return true
}

// metric returns the value of the counter name with the given labels (or the sample count of a histogram).
func (f *fixture) metric(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := f.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
	series:
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue series
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
