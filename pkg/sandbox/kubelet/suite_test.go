package kubelet_test

import (
	"context"
	"encoding/base64"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/sandbox/kubelet"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

const (
	bootDelay     = 30 * time.Second
	shutdownDelay = 10 * time.Second
)

// fixture is a simulator whose hooks are a running Kubelet, and a real SDK client talking to it.
type fixture struct {
	ctx     context.Context
	sim     *awssim.Server
	ec2     *ec2.Client
	clock   *clocktesting.FakeClock // the simulator's
	retries *clocktesting.FakeClock // the kubelet's
}

// start runs a Kubelet on c and a simulator that tells it of its instances. The tests share one API server
// and every simulator hands out the same addresses, so the tests run one at a time and delete what they leave.
func start(t *testing.T, c client.Client) fixture {
	t.Helper()
	f := fixture{
		ctx:     test.Context(t),
		clock:   clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		retries: clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
	k := kubelet.New(c, kubelet.Options{Clock: f.retries})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = k.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	f.sim = awssim.New(awssim.Options{
		ClusterName: "sandbox", Clock: f.clock.Now, BootDelay: bootDelay, ShutdownDelay: shutdownDelay, Hooks: k,
	})
	url, stop, err := f.sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(f.ctx, url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	f.ec2 = ec2.NewFromConfig(cfg)
	return f
}

// launch runs one instance of instanceType in zone, from a launch template carrying userData when it is not
// empty, lets it boot, and returns the instance as the hooks saw it: its ID and its Node's name.
func (f fixture) launch(t *testing.T, instanceType, zone, userData string) (id, nodeName string) {
	t.Helper()
	in := &ec2.RunInstancesInput{
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceType(instanceType),
		Placement: &ec2types.Placement{AvailabilityZone: aws.String(zone)},
	}
	if userData != "" {
		name := test.RandomName("nodes")
		if _, err := f.ec2.CreateLaunchTemplate(f.ctx, &ec2.CreateLaunchTemplateInput{
			LaunchTemplateName: aws.String(name),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(userData)))},
		}); err != nil {
			t.Fatal(err)
		}
		in.LaunchTemplate = &ec2types.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name)}
	}
	out, err := f.ec2.RunInstances(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	launched := out.Instances[0]
	f.clock.Step(bootDelay)
	f.sim.Settle()
	return aws.ToString(launched.InstanceId), aws.ToString(launched.PrivateDnsName)
}

// terminate terminates an instance and lets it shut down.
func (f fixture) terminate(t *testing.T, id string) {
	t.Helper()
	if _, err := f.ec2.TerminateInstances(f.ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	f.clock.Step(shutdownDelay)
	f.sim.Settle()
}

// eventually retries check until it passes, failing the test with its last error after a generous limit that
// only turns a hang into a failure: the Kubelet works on its own goroutine.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expectNode waits for the named Node and returns it, deleting it when the test ends if it is still there.
func expectNode(t *testing.T, ctx context.Context, name string) *corev1.Node {
	t.Helper()
	node := &corev1.Node{}
	eventually(t, func() error { return env.Client.Get(ctx, client.ObjectKey{Name: name}, node) })
	t.Cleanup(func() {
		fresh := &corev1.Node{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, fresh); err == nil {
			fresh.Finalizers = nil
			_ = env.Client.Update(context.Background(), fresh)
			_ = env.Client.Delete(context.Background(), fresh)
		}
	})
	return node
}

// expectNodeGone waits until the named Node no longer exists.
func expectNodeGone(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	eventually(t, func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: name}, &corev1.Node{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err == nil {
			return errNodeExists(name)
		}
		return err
	})
}

type errNodeExists string

func (e errNodeExists) Error() string { return "node " + string(e) + " still exists" }
