package garbagecollection_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/garbagecollection"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// template is the launch template leaked instances start from.
const template = "leaked"

// fixture is the garbage collector over the real AWS provider, which talks to a simulated account over HTTP,
// and the package's API server.
type fixture struct {
	sim        *awssim.Server
	ec2        *ec2.Client
	controller *garbagecollection.Controller
	subnet     string // a subnet in us-east-1a

	mu sync.Mutex
	// deleted are the NodeClaims the controller asked the API server to delete, in order.
	deleted []string
	// calls counts the EC2 requests by action, throttled ones included.
	calls map[string]int
}

// count records the request's action and passes it to the simulator.
func (f *fixture) count(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
		f.mu.Lock()
		f.calls[form.Get("Action")]++
		f.mu.Unlock()
	}
	f.sim.ServeHTTP(w, r)
}

// callsOf returns how many requests of the EC2 action were made so far.
func (f *fixture) callsOf(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[action]
}

func setup(t *testing.T, opts awssim.Options) *fixture {
	t.Helper()
	opts.ClusterName, opts.Clock = "test", env.Clock.Now
	f := &fixture{sim: awssim.New(opts), calls: map[string]int{}}
	// The simulator is served through a counter of EC2 actions, so tests can see what a pass costs.
	server := httptest.NewServer(http.HandlerFunc(f.count))
	t.Cleanup(server.Close)
	ctx := test.Context(t)
	cfg, err := awssim.ClientConfig(ctx, server.URL, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	f.ec2 = ec2.NewFromConfig(cfg)
	direct, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	kube := interceptor.NewClient(direct, interceptor.Funcs{
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			f.mu.Lock()
			f.deleted = append(f.deleted, obj.GetName())
			f.mu.Unlock()
			return c.Delete(ctx, obj, opts...)
		},
	})
	p := aws.New(cfg, kube, nil, aws.Options{
		Cluster:           aws.Cluster{Name: "test", Endpoint: "https://example", CA: []byte("ca"), ServiceCIDR: "10.100.0.0/16"},
		KubernetesVersion: func(context.Context) (string, error) { return "1.37", nil },
		Clock:             env.Clock,
	})
	f.controller = garbagecollection.NewController(kube, p.CloudProvider, env.Clock, garbagecollection.Options{})

	subnets, err := f.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subnets.Subnets {
		if sdkaws.ToString(s.AvailabilityZone) == "us-east-1a" {
			f.subnet = sdkaws.ToString(s.SubnetId)
		}
	}
	// The simulator boots its default image when the template names none.
	if _, err := f.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: sdkaws.String(template), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{},
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// leak launches an instance as a controller that crashed before recording it would leave it: tagged for a
// cluster (test unless tags say otherwise) and, when tags say so, for a NodeClaim; a tag given an empty value is
// left off. It returns the provider ID.
func (f *fixture) leak(t *testing.T, tags ...string) string {
	t.Helper()
	all := map[string]string{awsv1.TagCluster: "test", awsv1.TagNodePool: "default", "kubernetes.io/cluster/test": "owned"}
	for i := 0; i+1 < len(tags); i += 2 {
		all[tags[i]] = tags[i+1]
		if tags[i+1] == "" {
			delete(all, tags[i])
		}
	}
	var tagList []ec2types.Tag
	for k, v := range all {
		tagList = append(tagList, ec2types.Tag{Key: sdkaws.String(k), Value: sdkaws.String(v)})
	}
	out, err := f.ec2.CreateFleet(test.Context(t), &ec2.CreateFleetInput{
		Type: ec2types.FleetTypeInstant,
		LaunchTemplateConfigs: []ec2types.FleetLaunchTemplateConfigRequest{{
			LaunchTemplateSpecification: &ec2types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateName: sdkaws.String(template), Version: sdkaws.String("$Latest")},
			Overrides:                   []ec2types.FleetLaunchTemplateOverridesRequest{{InstanceType: ec2types.InstanceTypeM5Large, SubnetId: sdkaws.String(f.subnet)}},
		}},
		TargetCapacitySpecification: &ec2types.TargetCapacitySpecificationRequest{
			TotalTargetCapacity: sdkaws.Int32(1), DefaultTargetCapacityType: ec2types.DefaultTargetCapacityTypeOnDemand,
		},
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: tagList}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 || len(out.Instances[0].InstanceIds) != 1 {
		t.Fatalf("CreateFleet launched %+v, errors %+v", out.Instances, out.Errors)
	}
	return instance.ProviderID("us-east-1a", out.Instances[0].InstanceIds[0])
}

// state is the instance's state as EC2 reports it.
func (f *fixture) state(t *testing.T, providerID string) string {
	t.Helper()
	id, err := instance.ParseProviderID(providerID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.ec2.DescribeInstances(test.Context(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatalf("describing %s: %v", id, err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			return string(i.State.Name)
		}
	}
	t.Fatalf("EC2 does not know %s", id)
	return ""
}

// expectState fails the test unless every instance is in the state.
func (f *fixture) expectState(t *testing.T, want string, providerIDs ...string) {
	t.Helper()
	for _, id := range providerIDs {
		if got := f.state(t, id); got != want {
			t.Errorf("instance %s is %s, want %s", id, got, want)
		}
	}
}

// terminate terminates the instance outside Stevedore, as a person or a spot interruption would.
func (f *fixture) terminate(t *testing.T, providerID string) {
	t.Helper()
	id, err := instance.ParseProviderID(providerID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ec2.TerminateInstances(test.Context(t), &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
}

// reconcile runs one pass and fails the test on error.
func (f *fixture) reconcile(t *testing.T) {
	t.Helper()
	if err := f.controller.Reconcile(test.Context(t)); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
}

// wasDeleted reports whether the controller asked to delete the NodeClaim.
func (f *fixture) wasDeleted(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.deleted, name)
}

// claim creates a NodeClaim that records providerID (none when empty), and removes it, finalizers and all,
// when the test ends: the API server is shared by the package's tests, and the controller lists every claim.
func claim(t *testing.T, providerID string, opts ...test.Option) *v1.NodeClaim {
	t.Helper()
	nc := test.NodeClaim("default", "default", opts...)
	nc.Status.ProviderID = providerID
	ctx := test.Context(t)
	test.ExpectApplied(ctx, t, env.Client, nc)
	t.Cleanup(func() { remove(t, nc) })
	return nc
}

// remove deletes the claim, stripping its finalizers, and waits until the API server has forgotten it.
func remove(t *testing.T, nc *v1.NodeClaim) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key := client.ObjectKeyFromObject(nc)
	for ctx.Err() == nil {
		stored := &v1.NodeClaim{}
		if err := env.Client.Get(ctx, key, stored); err != nil {
			return
		}
		patch := client.MergeFrom(stored.DeepCopy())
		stored.Finalizers = nil
		_ = env.Client.Patch(ctx, stored, patch)
		_ = env.Client.Delete(ctx, stored)
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("NodeClaim %s outlived its test", nc.Name)
}

// exists reports whether the claim is still in the API server.
func exists(t *testing.T, nc *v1.NodeClaim) bool {
	t.Helper()
	err := env.Client.Get(test.Context(t), client.ObjectKeyFromObject(nc), &v1.NodeClaim{})
	if err != nil && client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
	return err == nil
}
