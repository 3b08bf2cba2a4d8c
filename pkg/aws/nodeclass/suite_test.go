package nodeclass_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/ami"
	"github.com/stevedore-dev/stevedore/pkg/aws/instanceprofile"
	"github.com/stevedore-dev/stevedore/pkg/aws/network"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// templates stands in for the launch template provider, recording which classes' templates were deleted.
type templates struct {
	mu      sync.Mutex
	deleted []string
}

func (f *templates) DeleteAll(_ context.Context, nodeClassName string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, nodeClassName)
	return nil
}

func (f *templates) deletedFor(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(slices.DeleteFunc(slices.Clone(f.deleted), func(n string) bool { return n != name }))
}

// fixture is a controller wired to the real resolvers, talking to a simulated AWS account over HTTP, and to the
// package's API server.
type fixture struct {
	sim        *awssim.Server
	iam        *iam.Client
	profiles   *instanceprofile.Provider
	templates  *templates
	recorder   *events.FakeRecorder
	version    string
	versionErr error
	controller *nodeclass.Controller
	// writes counts the controller's patches of EC2NodeClasses and their status.
	writes atomic.Int64
}

func setup(t *testing.T) *fixture {
	t.Helper()
	sim := awssim.New(awssim.Options{ClusterName: "test"})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	ec2Client := ec2.NewFromConfig(cfg)
	f := &fixture{
		sim:       sim,
		iam:       iam.NewFromConfig(cfg),
		templates: &templates{},
		recorder:  events.NewFakeRecorder(100),
		version:   "1.37",
	}
	f.profiles = instanceprofile.New(f.iam, "test", "us-east-1", env.Clock)
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
	f.controller = nodeclass.NewController(nodeclass.Dependencies{
		Client:           counted,
		Network:          network.New(ec2Client, env.Clock),
		AMIs:             ami.New(ec2Client, ssm.NewFromConfig(cfg), env.Clock),
		InstanceProfiles: f.profiles,
		LaunchTemplates:  f.templates,
		KubernetesVersion: func(context.Context) (string, error) {
			return f.version, f.versionErr
		},
		Recorder: f.recorder,
	})
	return f
}

// class creates a node class (the test fixture: discovery-tagged subnets and security group, al2023@latest, the
// simulator's node role) and removes it, finalizer and all, when the test ends.
func class(t *testing.T, edit func(*awsv1.EC2NodeClassSpec)) *awsv1.EC2NodeClass {
	t.Helper()
	var opts []test.Option
	if edit != nil {
		opts = append(opts, test.WithEC2NodeClassSpec(edit))
	}
	nc := test.EC2NodeClass(opts...)
	ctx := test.Context(t)
	test.ExpectApplied(ctx, t, env.Client, nc)
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		stored := &awsv1.EC2NodeClass{}
		if env.Client.Get(ctx, client.ObjectKeyFromObject(nc), stored) == nil {
			patch := client.MergeFrom(stored.DeepCopy())
			stored.Finalizers = nil
			_ = env.Client.Patch(ctx, stored, patch)
			_ = env.Client.Delete(ctx, stored)
		}
	})
	return nc
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

var errVersion = errors.New("the API server is unreachable")
