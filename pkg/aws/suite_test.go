package aws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// world is one simulated AWS account and the provider over it, shared by the package's tests: loading a
// provider's data takes seconds, so tests share it and each makes its own node class and NodePool. Tests that
// change the account (capacity, throttling, parameters) undo it when they end.
type world struct {
	sim      *awssim.Server
	url      string
	cfg      sdkaws.Config
	provider *aws.Provider
}

var (
	shared     *world
	sharedErr  error
	sharedOnce sync.Once
)

// fixture is what one test works with: the shared account and provider, a Ready node class and a NodePool of
// its own, and a context that ends with the test.
type fixture struct {
	*world
	ctx   context.Context
	ec2   *ec2.Client
	cloud *aws.CloudProvider
	class *awsv1.EC2NodeClass
	pool  *v1.NodePool
}

// cluster is what the test nodes join.
func cluster() aws.Cluster {
	return aws.Cluster{
		Name: "test", Endpoint: "https://test-cluster.example.com", ServiceCIDR: "10.100.0.0/16",
		CA: []byte("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"),
	}
}

// setup returns a fixture over the shared world, with a Ready node class and a NodePool removed when the test
// ends.
func setup(t *testing.T) *fixture {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = newWorld() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	f := &fixture{world: shared, ctx: test.Context(t), ec2: ec2.NewFromConfig(shared.cfg), cloud: shared.provider.CloudProvider}
	f.class = f.readyClass(t, nil)
	f.pool = f.nodePool(t)
	return f
}

// newWorld starts a simulator on the environment's fake clock and a provider over it.
func newWorld() (*world, error) {
	w := &world{sim: awssim.New(awssim.Options{ClusterName: "test", Clock: env.Clock.Now})}
	url, _, err := w.sim.Start("") // serves until the test binary exits
	if err != nil {
		return nil, err
	}
	w.url = url
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Five attempts, not the minimum three: the provider's refresh pages through large answers on several
	// connections at once, which makes the loopback read race awssim.ClientConfig describes likelier.
	if w.cfg, err = awssim.ClientConfig(ctx, url, "us-east-1", 5); err != nil {
		return nil, err
	}
	w.provider, err = w.newProvider(ctx)
	return w, err
}

// newProvider builds a provider over the simulator, as a (re)started controller does, and loads its data.
func (w *world) newProvider(ctx context.Context) (*aws.Provider, error) {
	p := aws.New(w.cfg, env.Client, events.NewFakeRecorder(100), aws.Options{
		Cluster:                 cluster(),
		VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent,
		KubernetesVersion:       func(context.Context) (string, error) { return "1.37", nil },
		Clock:                   env.Clock,
		Log:                     logr.Discard(),
	})
	if err := p.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("refreshing the provider's data: %w", err)
	}
	return p, nil
}

// readyClass creates a node class (the fixture's, edited), reconciles it until Ready, and removes it,
// finalizer and all, when the test ends.
func (f *fixture) readyClass(t *testing.T, edit func(*awsv1.EC2NodeClassSpec)) *awsv1.EC2NodeClass {
	t.Helper()
	var opts []test.Option
	if edit != nil {
		opts = append(opts, test.WithEC2NodeClassSpec(edit))
	}
	nc := test.EC2NodeClass(opts...)
	test.ExpectApplied(f.ctx, t, env.Client, nc)
	cleanup(t, nc)
	f.reconcile(t, nc)
	return nc
}

// reconcile runs the EC2NodeClass controller on nc and fails unless the class ends up Ready.
func (f *fixture) reconcile(t *testing.T, nc *awsv1.EC2NodeClass) {
	t.Helper()
	test.ExpectReconciled(f.ctx, t, f.provider.NodeClass, nc)
	test.ExpectExists(f.ctx, t, env.Client, nc)
	if err := nodeclass.Ready(nc); err != nil {
		t.Fatalf("node class is not Ready after a reconcile: %v", err)
	}
}

// nodePool creates a NodePool of the fixture's class, removed when the test ends.
func (f *fixture) nodePool(t *testing.T, opts ...test.Option) *v1.NodePool {
	t.Helper()
	np := test.NodePool(f.class.Name, opts...)
	test.ExpectApplied(f.ctx, t, env.Client, np)
	cleanup(t, np)
	return np
}

// claim creates a NodeClaim of the fixture's pool and class (so it has a UID, the launch's idempotency token),
// removed when the test ends.
func (f *fixture) claim(t *testing.T, opts ...test.Option) *v1.NodeClaim {
	t.Helper()
	c := test.NodeClaim(f.pool.Name, f.class.Name, opts...)
	test.ExpectApplied(f.ctx, t, env.Client, c)
	cleanup(t, c)
	return c
}

// create launches the claim and fails the test on error.
func (f *fixture) create(t *testing.T, claim *v1.NodeClaim) *v1.NodeClaim {
	t.Helper()
	launched, err := f.cloud.Create(f.ctx, claim)
	if err != nil {
		t.Fatalf("creating nodeclaim %s: %v", claim.Name, err)
	}
	return launched
}

// state is the simulator's view of the account.
func (f *fixture) state(t *testing.T) awssim.AdminState {
	t.Helper()
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, f.url+"/admin/state", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reading the simulator's state: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var s awssim.AdminState
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatalf("decoding the simulator's state: %v", err)
	}
	return s
}

// live are the simulator's instances that are not terminated or shutting down, and carry the tag.
func (f *fixture) live(t *testing.T, key, value string) []awssim.AdminInstance {
	t.Helper()
	var out []awssim.AdminInstance
	for _, i := range f.state(t).Instances {
		if i.State != "terminated" && i.State != "shutting-down" && i.Tags[key] == value {
			out = append(out, i)
		}
	}
	return out
}

// cleanup deletes obj when the test ends, clearing its finalizers first so that nothing is left behind.
func cleanup(t *testing.T, obj client.Object) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.WithoutCancel(t.Context())
		stored := obj.DeepCopyObject().(client.Object)
		if env.Client.Get(ctx, client.ObjectKeyFromObject(obj), stored) != nil {
			return
		}
		if len(stored.GetFinalizers()) > 0 {
			patch := client.MergeFrom(stored.DeepCopyObject().(client.Object))
			stored.SetFinalizers(nil)
			_ = env.Client.Patch(ctx, stored, patch)
		}
		_ = env.Client.Delete(ctx, stored)
	})
}
