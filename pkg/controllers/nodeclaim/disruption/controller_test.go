package disruption_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/disruption"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var ec2NodeClass = schema.GroupVersionKind{Group: awsv1.Group, Version: awsv1.SchemeGroupVersion.Version, Kind: "EC2NodeClass"}

// TestUnlaunchedAndDeletingClaimsAreIgnored: a claim not yet launched, or being deleted, is neither stamped nor
// marked drifted, even when its pool has changed and its cloud reports drift; nor is it rechecked.
func TestUnlaunchedAndDeletingClaimsAreIgnored(t *testing.T) {
	f := setup(t)
	np := pool(t)
	ctx := test.Context(t)
	unlaunched := claim(t, np, test.WithAnnotations(v1.NodePoolHashAnnotationKey, "0000000000000000",
		v1.NodePoolHashVersionAnnotationKey, v1.NodePoolHashVersion))
	deleting := launched(t, np, withoutAnnotations(), test.WithFinalizers(v1.TerminationFinalizer),
		test.WithAnnotations(v1.NodePoolHashAnnotationKey, "0000000000000000", v1.NodePoolHashVersionAnnotationKey, v1.NodePoolHashVersion))
	f.cloud.Drifted = map[string]cloudprovider.DriftReason{deleting.Status.ProviderID: "AMIDrift"}
	test.ExpectDeleted(ctx, t, env.Client, deleting)
	f.writes.Store(0)
	for _, nc := range []*v1.NodeClaim{unlaunched, deleting} {
		if res := test.ExpectReconciled(ctx, t, f.controller, nc); res != (reconcile.Result{}) {
			t.Errorf("%s: result %+v, want no recheck", nc.Name, res)
		}
		expectNotDrifted(t, get(t, nc))
	}
	if n := f.writes.Load(); n != 0 {
		t.Errorf("%d writes, want none", n)
	}
	f.expectEvents(t, 0)
	// A claim already gone is not an error.
	forget(ctx, deleting)
	test.ExpectReconciled(ctx, t, f.controller, deleting)
}

// TestClaimsWithoutTheirPoolAreNotDrifted: the pool's deletion removes its nodes; until then they are not drifted,
// and a drift recorded earlier goes.
func TestClaimsWithoutTheirPoolAreNotDrifted(t *testing.T) {
	f := setup(t)
	np := pool(t)
	nc := launched(t, np, withDrifted(string(disruption.NodePoolDrift)),
		test.WithAnnotations(v1.NodePoolHashAnnotationKey, "0000000000000000"))
	forget(test.Context(t), np)
	expectNotDrifted(t, f.reconcile(t, nc))
	if got := get(t, nc).Annotations[v1.NodePoolHashAnnotationKey]; got != "0000000000000000" {
		t.Errorf("hash %s stamped without a pool", got)
	}
}

// TestChangesWakeTheClaimsTheyConcern checks the watches' mapping: a pool's change wakes its claims and no
// others; a node class's change wakes the claims launched from it.
func TestChangesWakeTheClaimsTheyConcern(t *testing.T) {
	ctx := test.Context(t)
	a, b := pool(t), pool(t)
	inA1, inA2, inB := launched(t, a), launched(t, a), launched(t, b)
	other := launched(t, b, func(o client.Object) { o.(*v1.NodeClaim).Spec.NodeClassRef.Name = "gpu-" + b.Name })

	expectRequests(t, "pool "+a.Name, disruption.ClaimsOfPool(ctx, env.Client, a.Name), inA1, inA2)
	expectRequests(t, "pool "+b.Name, disruption.ClaimsOfPool(ctx, env.Client, b.Name), inB, other)
	woken := disruption.ClaimsOfClass(ctx, env.Client, ec2NodeClass.GroupKind(), "gpu-"+b.Name)
	expectRequests(t, "class gpu-"+b.Name, woken, other)
	if got := disruption.ClaimsOfClass(ctx, env.Client, schema.GroupKind{Group: "example.com", Kind: "EC2NodeClass"}, "gpu-"+b.Name); len(got) != 0 {
		t.Errorf("a class of another group woke %v", got)
	}
}

func expectRequests(t *testing.T, what string, got []reconcile.Request, want ...*v1.NodeClaim) {
	t.Helper()
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	var wantNames []string
	for _, nc := range want {
		wantNames = append(wantNames, nc.Name)
	}
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("%s woke %v, want %v", what, names, wantNames)
	}
}

// TestRegisteredControllerFollowsItsWatches runs the controller in a real manager: a pool edit drifts its node,
// and a change to the node class wakes a claim whose machine the cloud now reports drifted, both well before the
// periodic recheck.
func TestRegisteredControllerFollowsItsWatches(t *testing.T) {
	if disruption.NewController(disruption.Dependencies{}).Name() != "nodeclaim.disruption" {
		t.Errorf("controller name is not nodeclaim.disruption")
	}
	mgr, err := manager.New(env.Config, manager.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cloud := &lockedDrift{CloudProvider: fake.New()}
	c := disruption.NewController(disruption.Dependencies{
		Client: mgr.GetClient(), CloudProvider: cloud, NodeClasses: []schema.GroupVersionKind{ec2NodeClass},
	})
	if err := c.Register(mgr); err != nil {
		t.Fatalf("Register: %v", err)
	}
	ctx, cancel := context.WithCancel(test.Context(t))
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}))

	class := test.EC2NodeClass()
	test.ExpectApplied(ctx, t, env.Client, class)
	t.Cleanup(func() { forget(context.WithoutCancel(ctx), class) })
	np := pool(t, func(o client.Object) { o.(*v1.NodePool).Spec.Template.Spec.NodeClassRef.Name = class.Name })
	byPool := launched(t, np, withoutAnnotations())
	byClass := launched(t, np, withoutAnnotations())
	eventually(t, "both claims to be stamped", func() bool {
		return get(t, byPool).Annotations[v1.NodePoolHashAnnotationKey] != "" && get(t, byClass).Annotations[v1.NodePoolHashAnnotationKey] != ""
	})

	cloud.set(byClass.Status.ProviderID, "SubnetDrift")
	get(t, class).Labels = map[string]string{"touched": "yes"}
	test.ExpectApplied(ctx, t, env.Client, class)
	eventually(t, "the node class change to drift its claim", func() bool {
		return get(t, byClass).Conditions().IsTrue(v1.ConditionTypeDrifted)
	})
	expectDrifted(t, byClass, "SubnetDrift")

	cloud.set(byClass.Status.ProviderID, "")
	editPool(t, np, func(s *v1.NodePoolSpec) {
		s.Template.ObjectMeta.Annotations = map[string]string{"example.com/owner": "dev"}
	})
	eventually(t, "the pool edit to drift both claims", func() bool {
		return get(t, byPool).Conditions().IsTrue(v1.ConditionTypeDrifted) &&
			reasonOf(get(t, byClass)) == string(disruption.NodePoolDrift)
	})
	expectDrifted(t, byPool, string(disruption.NodePoolDrift))
	if c := byPool.Conditions().Get(v1.ConditionTypeDrifted); c.LastTransitionTime.IsZero() || c.Status != metav1.ConditionTrue {
		t.Errorf("Drifted %+v, want True with a transition time", c)
	}
}

func reasonOf(nc *v1.NodeClaim) string {
	if c := nc.Conditions().Get(v1.ConditionTypeDrifted); c != nil {
		return c.Reason
	}
	return ""
}

// lockedDrift lets the test change the fake's drift map while the manager's workers read it.
type lockedDrift struct {
	*fake.CloudProvider
	mu sync.Mutex
}

func (c *lockedDrift) set(providerID string, reason cloudprovider.DriftReason) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Drifted = map[string]cloudprovider.DriftReason{providerID: reason}
}

func (c *lockedDrift) IsDrifted(ctx context.Context, nc *v1.NodeClaim) (cloudprovider.DriftReason, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.CloudProvider.IsDrifted(ctx, nc)
}

// eventually polls cond until it holds, failing the test after a generous bound; it asserts an outcome, not how
// long it took.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
