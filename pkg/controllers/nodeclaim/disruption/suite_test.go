package disruption_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/disruption"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// fixture is a controller talking to the package's API server and to a fake cloud provider, with its own fake
// clock and event recorder.
type fixture struct {
	cloud      *fake.CloudProvider
	recorder   *events.FakeRecorder
	controller *disruption.Controller
	kube       client.Client
	// writes counts the controller's patches of NodeClaims, status included.
	writes atomic.Int64
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{cloud: fake.New(), recorder: events.NewFakeRecorder(100)}
	direct, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	f.kube = interceptor.NewClient(direct, interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			f.writes.Add(1)
			return c.Patch(ctx, obj, patch, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			f.writes.Add(1)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	f.controller = f.newController(f.cloud)
	return f
}

func (f *fixture) newController(cloud cloudprovider.CloudProvider) *disruption.Controller {
	return disruption.NewController(disruption.Dependencies{
		Client: f.kube, CloudProvider: cloud, Recorder: f.recorder,
		Clock: clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
	})
}

// pool creates a NodePool allowing zones a and b, removed when the test ends.
func pool(t *testing.T, opts ...test.Option) *v1.NodePool {
	t.Helper()
	opts = append([]test.Option{
		test.WithRequirements(test.Requirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a", "zone-b")),
	}, opts...)
	np := test.NodePool("default", opts...)
	ctx := test.Context(t)
	test.ExpectApplied(ctx, t, env.Client, np)
	t.Cleanup(func() { forget(context.WithoutCancel(ctx), np) })
	return np
}

// editPool changes the stored pool's spec.
func editPool(t *testing.T, np *v1.NodePool, edit func(*v1.NodePoolSpec)) {
	t.Helper()
	get(t, np)
	edit(&np.Spec)
	test.ExpectApplied(test.Context(t), t, env.Client, np)
}

// launched creates a NodeClaim of the pool as the lifecycle controller leaves a running node: stamped with the
// pool's current hash, labelled with the instance's type, zone (zone-a) and capacity type, with a provider ID, and
// Ready. It is removed, finalizer and all, when the test ends.
func launched(t *testing.T, np *v1.NodePool, opts ...test.Option) *v1.NodeClaim {
	t.Helper()
	opts = append([]test.Option{
		test.WithAnnotations(v1.NodePoolHashAnnotationKey, np.Hash(), v1.NodePoolHashVersionAnnotationKey, v1.NodePoolHashVersion),
		test.WithLabels(corev1.LabelTopologyZone, "zone-a", corev1.LabelInstanceTypeStable, "m5.large",
			v1.CapacityTypeLabelKey, v1.CapacityTypeOnDemand, corev1.LabelArchStable, "amd64"),
		withLaunch("fake:///zone-a/" + test.RandomName("i")),
	}, opts...)
	return claim(t, np, opts...)
}

// claim creates a NodeClaim of the pool with only the given options; it is removed when the test ends.
func claim(t *testing.T, np *v1.NodePool, opts ...test.Option) *v1.NodeClaim {
	t.Helper()
	nc := test.NodeClaim(np.Name, np.Spec.Template.Spec.NodeClassRef.Name, opts...)
	ctx := test.Context(t)
	test.ExpectApplied(ctx, t, env.Client, nc)
	t.Cleanup(func() { forget(context.WithoutCancel(ctx), nc) })
	return nc
}

// withLaunch records a launch (the provider ID, none for "") and a node that registered and initialized, so
// the claim is Ready.
func withLaunch(providerID string) test.Option {
	return func(o client.Object) {
		nc := o.(*v1.NodeClaim)
		nc.Status.ProviderID = providerID
		for _, ct := range []string{v1.ConditionTypeLaunched, v1.ConditionTypeRegistered, v1.ConditionTypeInitialized} {
			nc.Conditions().SetTrue(ct)
		}
	}
}

// withDrifted gives the claim a Drifted=True condition, as an earlier pass would have.
func withDrifted(reason string) test.Option {
	return func(o client.Object) {
		o.(*v1.NodeClaim).Conditions().Set(v1.ConditionTypeDrifted, metav1.ConditionTrue, reason, "drifted before")
	}
}

func withoutAnnotations() test.Option {
	return func(o client.Object) { o.SetAnnotations(nil) }
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

// reconcile runs one pass over the claim, expects the periodic recheck, and returns the stored claim.
func (f *fixture) reconcile(t *testing.T, nc *v1.NodeClaim) *v1.NodeClaim {
	t.Helper()
	if res := test.ExpectReconciled(test.Context(t), t, f.controller, nc); res.RequeueAfter != disruption.RecheckInterval {
		t.Errorf("requeue after %s, want the recheck interval %s", res.RequeueAfter, disruption.RecheckInterval)
	}
	return get(t, nc)
}

// expectDrifted asserts Drifted=True with the reason and a message holding every fragment.
func expectDrifted(t *testing.T, nc *v1.NodeClaim, reason string, fragments ...string) {
	t.Helper()
	c := nc.Conditions().Get(v1.ConditionTypeDrifted)
	if c == nil {
		t.Fatalf("nodeclaim %s has no Drifted condition, want %s; conditions %+v", nc.Name, reason, nc.Status.Conditions)
	}
	if c.Status != metav1.ConditionTrue || c.Reason != reason {
		t.Errorf("Drifted = %s/%s (%q), want True/%s", c.Status, c.Reason, c.Message, reason)
	}
	for _, frag := range fragments {
		if !strings.Contains(c.Message, frag) {
			t.Errorf("Drifted message %q does not contain %q", c.Message, frag)
		}
	}
}

func expectNotDrifted(t *testing.T, nc *v1.NodeClaim) {
	t.Helper()
	if c := nc.Conditions().Get(v1.ConditionTypeDrifted); c != nil {
		t.Errorf("nodeclaim %s: Drifted = %s/%s (%q), want no Drifted condition", nc.Name, c.Status, c.Reason, c.Message)
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

// expectEvents asserts that exactly n events were recorded since the last call, each holding every fragment.
func (f *fixture) expectEvents(t *testing.T, n int, fragments ...string) {
	t.Helper()
	got := f.events()
	if len(got) != n {
		t.Fatalf("%d events %q, want %d", len(got), got, n)
	}
	for _, e := range got {
		for _, frag := range fragments {
			if !strings.Contains(e, frag) {
				t.Errorf("event %q does not contain %q", e, frag)
			}
		}
	}
}
