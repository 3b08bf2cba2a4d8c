package termination_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/node/termination"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// fixture is a controller with its own fake clock, fake cloud, event recorder and metrics registry, talking to
// the package's API server.
type fixture struct {
	t          *testing.T
	ctx        context.Context
	clock      *clocktesting.FakeClock
	cloud      *fake.CloudProvider
	recorder   *events.FakeRecorder
	registry   *prometheus.Registry
	controller *termination.Controller
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		t:        t,
		ctx:      test.Context(t),
		clock:    clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		cloud:    fake.New(m5Large()),
		recorder: events.NewFakeRecorder(1000),
		registry: prometheus.NewRegistry(),
	}
	c, err := termination.NewController(termination.Dependencies{
		Client: env.Client, Cloud: f.cloud, Clock: f.clock, Recorder: f.recorder, Registerer: f.registry,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.controller = c
	return f
}

func m5Large() *cloudprovider.InstanceType {
	return &cloudprovider.InstanceType{
		Name:         "m5.large",
		Requirements: scheduling.NewRequirements(scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, "m5.large")),
		Offerings:    cloudprovider.Offerings{{Zone: "test-1a", CapacityType: v1.CapacityTypeOnDemand, Price: 0.096, Available: true}},
		Capacity:     corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi")},
	}
}

// launch creates a launched NodeClaim (terminationGracePeriod tgp, none when "") and its registered Node, as the
// provisioner and the lifecycle controller leave them, and clears both away when the test ends.
func (f *fixture) launch(tgp string) (*corev1.Node, *v1.NodeClaim) {
	t := f.t
	t.Helper()
	claim := test.NodeClaim("pool", "class", test.WithFinalizers(v1.TerminationFinalizer))
	if tgp != "" {
		d, err := time.ParseDuration(tgp)
		if err != nil {
			t.Fatal(err)
		}
		claim.Spec.TerminationGracePeriod = &metav1.Duration{Duration: d}
	}
	launched, err := f.cloud.Create(f.ctx, claim)
	if err != nil {
		t.Fatal(err)
	}
	node := test.Node(test.WithFinalizers(v1.TerminationFinalizer))
	claim.Status.ProviderID, claim.Status.NodeName = launched.Status.ProviderID, node.Name
	test.ExpectApplied(f.ctx, t, env.Client, claim)
	node.Spec.ProviderID = claim.Status.ProviderID
	yes := true
	node.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: v1.SchemeGroupVersion.String(), Kind: "NodeClaim", Name: claim.Name, UID: claim.UID, BlockOwnerDeletion: &yes,
	}}
	test.ExpectApplied(f.ctx, t, env.Client, node)
	t.Cleanup(func() {
		ctx := context.WithoutCancel(f.ctx)
		for _, o := range []client.Object{&corev1.Node{}, &v1.NodeClaim{}} {
			key := client.ObjectKey{Name: node.Name}
			if _, ok := o.(*v1.NodeClaim); ok {
				key.Name = claim.Name
			}
			if env.Client.Get(ctx, key, o) == nil {
				_ = env.Client.Patch(ctx, o, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`)))
				_ = env.Client.Delete(ctx, o)
			}
		}
		var pods corev1.PodList
		if env.Client.List(ctx, &pods, client.MatchingFields{"spec.nodeName": node.Name}) == nil {
			for i := range pods.Items {
				_ = env.Client.Delete(ctx, &pods.Items[i], client.GracePeriodSeconds(0))
			}
		}
	})
	return node, claim
}

// pod creates a running, ready pod bound to node. The eviction API treats a pending pod as not protected by
// any PDB, so the status matters.
func (f *fixture) pod(node *corev1.Node, opts ...test.Option) *corev1.Pod {
	f.t.Helper()
	p := test.Pod(append([]test.Option{test.WithNodeName(node.Name)}, opts...)...)
	p.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	test.ExpectApplied(f.ctx, f.t, env.Client, p)
	return p
}

// deleteNode deletes the node as kubectl would and starts the clock at its deletion timestamp.
func (f *fixture) deleteNode(node *corev1.Node) {
	f.t.Helper()
	test.ExpectDeleted(f.ctx, f.t, env.Client, node)
	test.ExpectExists(f.ctx, f.t, env.Client, node)
	f.clock.SetTime(node.DeletionTimestamp.Time)
}

func (f *fixture) reconcile(node *corev1.Node) reconcile.Result {
	f.t.Helper()
	return test.ExpectReconciled(f.ctx, f.t, f.controller, node)
}

// kubelet stands in for the node's kubelet, which envtest lacks: it removes the pods that are terminating.
func (f *fixture) kubelet(node *corev1.Node) {
	f.t.Helper()
	var pods corev1.PodList
	if err := env.Client.List(f.ctx, &pods, client.MatchingFields{"spec.nodeName": node.Name}); err != nil {
		f.t.Fatal(err)
	}
	for i := range pods.Items {
		if !pods.Items[i].DeletionTimestamp.IsZero() {
			if err := env.Client.Delete(f.ctx, &pods.Items[i], client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
				f.t.Fatal(err)
			}
		}
	}
}

// terminating reports whether the pod is being deleted (or gone).
func (f *fixture) terminating(p *corev1.Pod) bool {
	f.t.Helper()
	got := &corev1.Pod{}
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(p), got); err != nil {
		if client.IgnoreNotFound(err) != nil {
			f.t.Fatal(err)
		}
		return true
	}
	return !got.DeletionTimestamp.IsZero()
}

// expectFinalizer asserts whether the node still carries the termination finalizer (false: the node is gone).
func (f *fixture) expectFinalizer(node *corev1.Node, want bool) {
	f.t.Helper()
	got := &corev1.Node{}
	err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(node), got)
	if client.IgnoreNotFound(err) != nil {
		f.t.Fatal(err)
	}
	if has := err == nil && len(got.Finalizers) > 0; has != want {
		f.t.Fatalf("node %s holds its finalizer: %v, want %v", node.Name, has, want)
	}
}

// instanceDeletes counts the cloud's Delete calls.
func (f *fixture) instanceDeletes() int { return len(f.cloud.DeleteCalls) }

// metric returns the value of a counter (or a histogram's count) in the fixture's registry.
func (f *fixture) metric(name string) float64 {
	f.t.Helper()
	families, err := f.registry.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
		}
	}
	return 0
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

// expectEvent asserts that an event with the reason, containing every fragment, was recorded.
func expectEvent(t *testing.T, got []string, reason string, fragments ...string) {
	t.Helper()
	for _, e := range got {
		if !strings.Contains(e, " "+reason+" ") {
			continue
		}
		ok := true
		for _, fr := range fragments {
			ok = ok && strings.Contains(e, fr)
		}
		if ok {
			return
		}
	}
	t.Errorf("no %s event containing %q in %q", reason, fragments, got)
}
