package crash_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	nodetermination "github.com/stevedore-dev/stevedore/pkg/controllers/node/termination"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/garbagecollection"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/lifecycle"
	claimtermination "github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/termination"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// errCrash is what every write returns once the process has "crashed".
var errCrash = errors.New("the controller process was killed")

// crashingClient fails its crashAt-th write and every write after it, as a killed process makes none.
type crashingClient struct {
	writes  atomic.Int64
	crashAt int64
}

func (c *crashingClient) write() error {
	n := c.writes.Add(1)
	if c.crashAt > 0 && n >= c.crashAt {
		return errCrash
	}
	return nil
}

func (c *crashingClient) wrap(inner client.WithWatch) client.Client {
	return interceptor.NewClient(inner, interceptor.Funcs{
		Create: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := c.write(); err != nil {
				return err
			}
			return cl.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if err := c.write(); err != nil {
				return err
			}
			return cl.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, cl client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if err := c.write(); err != nil {
				return err
			}
			return cl.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if err := c.write(); err != nil {
				return err
			}
			return cl.Delete(ctx, obj, opts...)
		},
		SubResourceCreate: func(ctx context.Context, cl client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			if err := c.write(); err != nil {
				return err
			}
			return cl.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, cl client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if err := c.write(); err != nil {
				return err
			}
			return cl.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, cl client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := c.write(); err != nil {
				return err
			}
			return cl.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
}

// world is one simulated AWS account and its provider, shared by every incarnation of the controllers.
type world struct {
	sim      *awssim.Server
	ec2      *ec2.Client
	cfg      sdkaws.Config
	clock    *clocktesting.FakeClock
	nodePool string
	class    string
}

// process is one incarnation of the controller process: fresh controllers, fresh in-memory state and a fresh
// AWS provider over the same account, writing through a client that may crash.
type process struct {
	lifecycle        *lifecycle.Controller
	claimTermination *claimtermination.Controller
	nodeTermination  *nodetermination.Controller
	gc               *garbagecollection.Controller
}

func (w *world) start(t *testing.T, crashAt int64) (*process, *crashingClient) {
	t.Helper()
	direct, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	crashing := &crashingClient{crashAt: crashAt}
	kube := crashing.wrap(direct)
	provider := aws.New(w.cfg, kube, nil, aws.Options{
		Cluster:           aws.Cluster{Name: "test", Endpoint: "https://api.test", CA: []byte("ca"), ServiceCIDR: "10.100.0.0/16"},
		KubernetesVersion: func(context.Context) (string, error) { return "1.37", nil },
		Clock:             w.clock,
	})
	if err := provider.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	registry := prometheus.NewRegistry()
	p := &process{gc: garbagecollection.NewController(kube, provider.CloudProvider, w.clock, garbagecollection.Options{})}
	if p.lifecycle, err = lifecycle.NewController(lifecycle.Dependencies{
		Client: kube, CloudProvider: provider.CloudProvider, Clock: w.clock, Registerer: registry,
	}, lifecycle.Options{}); err != nil {
		t.Fatal(err)
	}
	if p.claimTermination, err = claimtermination.NewController(claimtermination.Dependencies{
		Client: kube, Cloud: provider.CloudProvider, Clock: w.clock, Registerer: registry,
	}); err != nil {
		t.Fatal(err)
	}
	if p.nodeTermination, err = nodetermination.NewController(nodetermination.Dependencies{
		Client: kube, Cloud: provider.CloudProvider, Clock: w.clock, Registerer: registry,
	}); err != nil {
		t.Fatal(err)
	}
	return p, crashing
}

func setup(t *testing.T) *world {
	t.Helper()
	clk := clocktesting.NewFakeClock(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	sim := awssim.New(awssim.Options{ClusterName: "test", Clock: clk.Now, TerminatedRetention: 24 * time.Hour})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{sim: sim, ec2: ec2.NewFromConfig(cfg), cfg: cfg, clock: clk}

	ctx := test.Context(t)
	nc := test.EC2NodeClass()
	pool := test.NodePool(nc.Name)
	test.ExpectApplied(ctx, t, env.Client, nc, pool)
	w.nodePool, w.class = pool.Name, nc.Name
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		stored := &awsv1.EC2NodeClass{}
		if env.Client.Get(ctx, client.ObjectKeyFromObject(nc), stored) == nil {
			stored.Finalizers = nil
			_ = env.Client.Update(ctx, stored)
		}
		_ = env.Client.Delete(ctx, nc)
		_ = env.Client.Delete(ctx, pool)
	})
	// Resolve the node class once, with a healthy process: it is not what this test crashes.
	p := aws.New(cfg, env.Client, nil, aws.Options{
		Cluster:           aws.Cluster{Name: "test"},
		KubernetesVersion: func(context.Context) (string, error) { return "1.37", nil },
		Clock:             clk,
	})
	test.ExpectReconciled(ctx, t, p.NodeClass, nc)
	return w
}

// instances returns the cluster's instances ever launched and those still live.
func (w *world) instances(t *testing.T) (launched, live []string) {
	t.Helper()
	out, err := w.ec2.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: sdkaws.String("tag:" + awsv1.TagCluster), Values: []string{"test"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			launched = append(launched, sdkaws.ToString(i.InstanceId))
			if i.State.Name != ec2types.InstanceStateNameTerminated {
				live = append(live, sdkaws.ToString(i.InstanceId))
			}
		}
	}
	return launched, live
}

// lifeOfANode drives one NodeClaim from creation to its instance's termination, restarting the process whenever
// it crashes. It returns how many writes a crash-free run makes (when crashAt is 0) and whether a crash happened.
func (w *world) lifeOfANode(t *testing.T, crashAt int64) (writes int64, crashed bool) {
	t.Helper()
	ctx := test.Context(t)
	claim := test.NodeClaim(w.nodePool, w.class, test.WithFinalizers(v1.TerminationFinalizer))
	test.ExpectApplied(ctx, t, env.Client, claim)
	key := client.ObjectKeyFromObject(claim)

	p, crashing := w.start(t, crashAt)
	restart := func(err error) {
		t.Helper()
		if !errors.Is(err, errCrash) {
			t.Fatalf("reconcile failed other than by the injected crash: %v", err)
		}
		crashed = true
		p, crashing = w.start(t, 0) // the restarted process does not crash again
	}
	reconcile := func(r reconcile.Reconciler, obj client.Object) {
		t.Helper()
		if _, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)}); err != nil {
			restart(err)
		}
	}
	deleted := false
	for step := 0; step < 60; step++ {
		current := &v1.NodeClaim{}
		claimGone := env.Client.Get(ctx, key, current) != nil
		var node *corev1.Node
		if !claimGone && current.Status.ProviderID != "" {
			node = w.kubelet(t, current)
		}
		if claimGone {
			if node == nil {
				break
			}
		}
		if !claimGone {
			reconcile(p.lifecycle, current)
			if !deleted && current.Conditions().IsTrue(v1.ConditionTypeInitialized) {
				// The user (or disruption) deletes the claim once its node is up.
				if err := env.Client.Delete(ctx, current); err != nil {
					t.Fatal(err)
				}
				deleted = true
			}
			if deleted {
				reconcile(p.claimTermination, current)
			}
		}
		if node != nil {
			reconcile(p.nodeTermination, node)
		}
		// Garbage collection runs on its own schedule, whatever state the rest is in.
		w.clock.Step(30 * time.Second)
		if err := p.gc.Reconcile(ctx); err != nil {
			restart(err)
		}
	}
	if err := env.Client.Get(ctx, key, &v1.NodeClaim{}); err == nil {
		t.Fatalf("crash at write %d: the NodeClaim was never finalized", crashAt)
	}
	// Let any leak age past the grace period and collect it, as the running controller would.
	w.clock.Step(5 * time.Minute)
	if err := p.gc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	return crashing.writes.Load(), crashed
}

// kubelet registers a Node for the claim's instance, as the instance's kubelet would, and reports it Ready.
func (w *world) kubelet(t *testing.T, claim *v1.NodeClaim) *corev1.Node {
	t.Helper()
	ctx := test.Context(t)
	var nodes corev1.NodeList
	if err := env.Client.List(ctx, &nodes); err != nil {
		t.Fatal(err)
	}
	for i := range nodes.Items {
		if nodes.Items[i].Spec.ProviderID == claim.Status.ProviderID {
			return &nodes.Items[i]
		}
	}
	if !claim.DeletionTimestamp.IsZero() {
		return nil
	}
	node := test.Node(test.WithName(test.RandomName("ip")))
	node.Spec.ProviderID = claim.Status.ProviderID
	node.Spec.Taints = []corev1.Taint{{Key: v1.UnregisteredTaintKey, Effect: corev1.TaintEffectNoExecute}}
	node.Labels = map[string]string{corev1.LabelHostname: node.Name}
	test.ExpectApplied(ctx, t, env.Client, node)
	node.Status.Allocatable = claim.Status.Allocatable
	node.Status.Capacity = claim.Status.Capacity
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}}
	if err := env.Client.Status().Update(ctx, node); err != nil {
		t.Fatal(err)
	}
	return node
}

func TestNoLeakAndNoDoubleLaunchWhereverTheControllerCrashes(t *testing.T) {
	w := setup(t)
	total, _ := w.lifeOfANode(t, 0)
	launched, live := w.instances(t)
	if len(launched) != 1 || len(live) != 0 {
		t.Fatalf("crash-free run: %d instances launched, %d live; want 1 launched and none left", len(launched), len(live))
	}
	if total < 5 {
		t.Fatalf("a crash-free run made only %d writes; the test would prove nothing", total)
	}
	for crashAt := int64(1); crashAt <= total; crashAt++ {
		t.Run(fmt.Sprintf("crash at write %d of %d", crashAt, total), func(t *testing.T) {
			before, _ := w.instances(t)
			_, crashed := w.lifeOfANode(t, crashAt)
			if !crashed {
				t.Fatalf("no crash happened at write %d: the run made fewer writes than the crash-free one", crashAt)
			}
			after, live := w.instances(t)
			if n := len(after) - len(before); n != 1 {
				t.Errorf("%d instances launched for one NodeClaim, want 1", n)
			}
			if len(live) != 0 {
				t.Errorf("instances %v leaked", live)
			}
		})
	}
}
