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

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/termination"
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
	f.controller = f.newController(f.cloud)
	return f
}

func (f *fixture) newController(cloud cloudprovider.CloudProvider) *termination.Controller {
	f.t.Helper()
	c, err := termination.NewController(termination.Dependencies{
		Client: env.Client, Cloud: cloud, Clock: f.clock, Recorder: f.recorder, Registerer: f.registry,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func m5Large() *cloudprovider.InstanceType {
	return &cloudprovider.InstanceType{
		Name:         "m5.large",
		Requirements: scheduling.NewRequirements(scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, "m5.large")),
		Offerings:    cloudprovider.Offerings{{Zone: "test-1a", CapacityType: v1.CapacityTypeOnDemand, Price: 0.096, Available: true}},
		Capacity:     corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi")},
	}
}

// claim creates a NodeClaim as the provisioner does; launched gives it an instance, registered also a Node as the
// lifecycle controller leaves it. Everything is cleared away, finalizers and all, when the test ends.
func (f *fixture) claim(launched, registered bool) (*v1.NodeClaim, *corev1.Node) {
	t := f.t
	t.Helper()
	claim := test.NodeClaim("pool", "class", test.WithFinalizers(v1.TerminationFinalizer))
	var node *corev1.Node
	if launched {
		machine, err := f.cloud.Create(f.ctx, claim)
		if err != nil {
			t.Fatal(err)
		}
		claim.Status.ProviderID = machine.Status.ProviderID
	}
	if registered {
		node = test.Node(test.WithFinalizers(v1.TerminationFinalizer))
		claim.Status.NodeName = node.Name
	}
	test.ExpectApplied(f.ctx, t, env.Client, claim)
	cleanup := []client.Object{claim}
	if node != nil {
		node.Spec.ProviderID = claim.Status.ProviderID
		node.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: v1.SchemeGroupVersion.String(), Kind: "NodeClaim", Name: claim.Name, UID: claim.UID,
		}}
		test.ExpectApplied(f.ctx, t, env.Client, node)
		cleanup = append(cleanup, node)
	}
	t.Cleanup(func() {
		ctx := context.WithoutCancel(f.ctx)
		for _, o := range cleanup {
			_ = env.Client.Patch(ctx, o, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`)))
			_ = env.Client.Delete(ctx, o)
		}
		if node == nil {
			return
		}
		var pods corev1.PodList
		if env.Client.List(ctx, &pods, client.MatchingFields{"spec.nodeName": node.Name}) == nil {
			for i := range pods.Items {
				_ = env.Client.Delete(ctx, &pods.Items[i], client.GracePeriodSeconds(0))
			}
		}
	})
	return claim, node
}

// deleteClaim deletes the claim as the disruption controller (or a user) would.
func (f *fixture) deleteClaim(claim *v1.NodeClaim) {
	f.t.Helper()
	test.ExpectDeleted(f.ctx, f.t, env.Client, claim)
	test.ExpectExists(f.ctx, f.t, env.Client, claim)
	f.clock.SetTime(claim.DeletionTimestamp.Time)
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

// pod creates a running, ready pod bound to node.
func (f *fixture) pod(node *corev1.Node) *corev1.Pod {
	f.t.Helper()
	p := test.Pod(test.WithNodeName(node.Name))
	p.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	test.ExpectApplied(f.ctx, f.t, env.Client, p)
	return p
}

// exists reports whether obj is still stored, refreshing it.
func exists(t *testing.T, ctx context.Context, obj client.Object) bool {
	t.Helper()
	err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	if client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
	return err == nil
}

// metric returns a counter's value (or a histogram's count) in the fixture's registry.
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

// expectEvent asserts that an event with the reason, containing fragment, has been recorded.
func (f *fixture) expectEvent(reason, fragment string) {
	f.t.Helper()
	var seen []string
	for {
		select {
		case e := <-f.recorder.Events:
			if strings.Contains(e, " "+reason+" ") && strings.Contains(e, fragment) {
				return
			}
			seen = append(seen, e)
		default:
			f.t.Errorf("no %s event containing %q in %q", reason, fragment, seen)
			return
		}
	}
}
