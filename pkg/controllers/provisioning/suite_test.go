package provisioning_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/state"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) {
	// The manager and caches some tests start log through controller-runtime; tests read behaviour, not logs.
	log.SetLogger(logr.Discard())
	os.Exit(test.Run(m, &env))
}

// zone is the one zone the fake instance types are offered in.
const zone = "test-1a"

// labelCPU is a label the fake instance types set, as the AWS ones set their vCPU count.
const labelCPU = "example.com/instance-cpu"

// instanceType has cpu cores, memory GiB and 110 pods, on demand in zone, with no overhead.
func instanceType(name string, cpu, memGiB int64, price float64) *cloudprovider.InstanceType {
	return &cloudprovider.InstanceType{
		Name: name,
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
			scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
			scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, zone),
			scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand),
			scheduling.NewRequirement(labelCPU, corev1.NodeSelectorOpIn, strconv.FormatInt(cpu, 10)),
		),
		Offerings: cloudprovider.Offerings{{Zone: zone, CapacityType: v1.CapacityTypeOnDemand, Price: price, Available: true}},
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewQuantity(cpu, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(memGiB<<30, resource.BinarySI),
			corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
		},
	}
}

// instanceTypes are a handful of types: medium holds the most cores per dollar.
func instanceTypes() []*cloudprovider.InstanceType {
	return []*cloudprovider.InstanceType{
		instanceType("small", 2, 8, 0.10),
		instanceType("medium", 4, 16, 0.18),
		instanceType("large", 8, 32, 0.40),
	}
}

// fixture is the provisioner over the package's API server, which it reads directly so that a test reads its
// own writes; the state model is fed by hand where informers would feed it.
type fixture struct {
	ctx        context.Context
	cloud      *fake.CloudProvider
	cluster    *state.Cluster
	controller *provisioning.Controller
	recorder   *events.FakeRecorder
	registry   *prometheus.Registry
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		ctx:      test.Context(t),
		cloud:    fake.New(instanceTypes()...),
		recorder: events.NewFakeRecorder(1000),
		registry: prometheus.NewRegistry(),
	}
	f.cluster = state.New(env.Client, f.cloud, env.Clock, state.Options{})
	c, err := provisioning.NewController(provisioning.Dependencies{
		Client: env.Client, Cluster: f.cluster, Clock: env.Clock, Recorder: f.recorder, Registerer: f.registry,
	}, provisioning.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.controller = c
	t.Cleanup(cleanup)
	return f
}

// sync delivers every Node and NodeClaim the API server holds to the model, as the informers would.
func (f *fixture) sync(t *testing.T) {
	t.Helper()
	var nodes corev1.NodeList
	var claims v1.NodeClaimList
	if err := env.Client.List(f.ctx, &nodes); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.List(f.ctx, &claims); err != nil {
		t.Fatal(err)
	}
	for i := range nodes.Items {
		f.cluster.UpdateNode(&nodes.Items[i])
	}
	for i := range claims.Items {
		f.cluster.UpdateNodeClaim(&claims.Items[i])
	}
}

// provision runs one batch and fails the test on error.
func (f *fixture) provision(t *testing.T) provisioning.Result {
	t.Helper()
	r, err := f.controller.Provision(f.ctx)
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	return r
}

// nodeClaims lists the NodeClaims in the API server.
func (f *fixture) nodeClaims(t *testing.T) []v1.NodeClaim {
	t.Helper()
	var list v1.NodeClaimList
	if err := env.Client.List(f.ctx, &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// events drains the recorded events, as "<type> <reason> <note>".
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

func countPrefix(events []string, prefix string) int {
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// unschedulable marks a pod as the kube-scheduler marks one it cannot place.
func unschedulable(o client.Object) {
	p := o.(*corev1.Pod)
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		LastTransitionTime: metav1.NewTime(env.Clock.Now()),
	})
}

// pendingDeployment creates a Deployment and, as its ReplicaSet would, its pods; the kube-scheduler (which
// envtest lacks) is stood in for by marking each pod unschedulable.
func pendingDeployment(ctx context.Context, t *testing.T, replicas int, opts ...test.Option) []*corev1.Pod {
	t.Helper()
	d := test.Deployment(int32(replicas), opts...)
	test.ExpectApplied(ctx, t, env.Client, d)
	owner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: d.Name + "-1", UID: d.UID + "-rs", Controller: ptr(true)}
	pods := make([]*corev1.Pod, replicas)
	for i := range pods {
		p := test.Pod()
		p.Labels = d.Spec.Template.Labels
		p.Spec = *d.Spec.Template.Spec.DeepCopy()
		p.OwnerReferences = []metav1.OwnerReference{owner}
		unschedulable(p)
		test.ExpectApplied(ctx, t, env.Client, p)
		pods[i] = p
	}
	return pods
}

// readyNode creates a node and clears the not-ready taint the API server adds to new nodes, as the node
// lifecycle controller (which envtest lacks) would once the node reports Ready.
func readyNode(ctx context.Context, t *testing.T, opts ...test.Option) *corev1.Node {
	t.Helper()
	n := test.Node(opts...)
	test.ExpectApplied(ctx, t, env.Client, n)
	n.Spec.Taints = nil
	if err := env.Client.Update(ctx, n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// cleanup removes what a test created, finalizers and all, so tests sharing the API server stay independent.
func cleanup() {
	ctx := context.Background()
	_ = env.Client.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(test.DefaultNamespace), client.GracePeriodSeconds(0))
	var claims v1.NodeClaimList
	if err := env.Client.List(ctx, &claims); err == nil {
		for i := range claims.Items {
			c := &claims.Items[i]
			if len(c.Finalizers) > 0 {
				c.Finalizers = nil
				_ = env.Client.Update(ctx, c)
			}
			_ = env.Client.Delete(ctx, c)
		}
	}
	for _, list := range []client.ObjectList{&corev1.NodeList{}, &v1.NodePoolList{}, &appsv1.DaemonSetList{}, &appsv1.DeploymentList{}} {
		if err := env.Client.List(ctx, list); err != nil {
			continue
		}
		items, _ := meta.ExtractList(list)
		for _, o := range items {
			_ = env.Client.Delete(ctx, o.(client.Object))
		}
	}
}
