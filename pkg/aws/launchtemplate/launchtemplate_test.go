package launchtemplate_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/launchtemplate"
	"github.com/stevedore-dev/stevedore/pkg/aws/userdata"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// securityGroup and instanceProfile are what the node class resolver would have put in the status.
const (
	securityGroup   = "sg-0123456789abcdef0"
	instanceProfile = "stevedore-test-nodes"
	image           = "ami-0123456789abcdef0"
)

// env is a simulator behind a handler that counts the EC2 actions sent to it, and a real SDK client for it.
type env struct {
	client *ec2.Client
	clk    *clocktesting.FakeClock
	mu     sync.Mutex
	counts map[string]int
	// after, when set, runs after the simulator has answered each request.
	after func(action string, form url.Values)
}

func start(t *testing.T) *env {
	t.Helper()
	e := &env{clk: clocktesting.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), counts: map[string]int{}}
	sim := awssim.New(awssim.Options{ClusterName: "test", Clock: e.clk.Now})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := r.FormValue("Action")
		e.mu.Lock()
		e.counts[action]++
		after := e.after
		e.mu.Unlock()
		sim.ServeHTTP(w, r)
		if after != nil {
			after(action, r.Form)
		}
	}))
	t.Cleanup(srv.Close)
	cfg, err := awssim.ClientConfig(t.Context(), srv.URL, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	e.client = ec2.NewFromConfig(cfg)
	return e
}

// count is how many requests for action the simulator has had.
func (e *env) count(action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[action]
}

func (e *env) provider(opts launchtemplate.Options) *launchtemplate.Provider {
	return launchtemplate.New(e.client, "test", e.clk, opts)
}

// nodeClass is a resolved node class named name, tagged team=web.
func nodeClass(name string, edit func(*awsv1.EC2NodeClassSpec)) *awsv1.EC2NodeClass {
	nc := test.EC2NodeClass(test.WithName(name), test.WithEC2NodeClassSpec(func(s *awsv1.EC2NodeClassSpec) {
		s.Tags = map[string]string{"team": "web"}
		if edit != nil {
			edit(s)
		}
	}))
	nc.Status.SecurityGroups = []awsv1.SecurityGroup{{ID: securityGroup}}
	nc.Status.InstanceProfile = instanceProfile
	return nc
}

// spec is an AL2023 launch of node class nc with the given max pods, as an on-demand node of pool default.
func spec(nc *awsv1.EC2NodeClass, maxPods int64) launchtemplate.Spec {
	return launchtemplate.Spec{NodeClass: nc, ImageID: image, Family: awsv1.AMIFamilyAL2023, Node: userdata.Node{
		ClusterName: "test", ClusterEndpoint: "https://test.eks.example", ClusterCA: []byte("-----BEGIN CERTIFICATE-----\n"),
		ServiceCIDR: "10.100.0.0/16", MaxPods: maxPods, KubeReserved: map[string]string{"cpu": "70m", "memory": "574Mi"},
		Labels: map[string]string{v1.CapacityTypeLabelKey: v1.CapacityTypeOnDemand, v1.NodePoolLabelKey: "default"},
		Taints: []corev1.Taint{{Key: v1.UnregisteredTaintKey, Effect: corev1.TaintEffectNoExecute}},
	}}
}

// version returns what EC2 holds for the template, and its user data decoded.
func (e *env) version(t *testing.T, name string) (*ec2types.ResponseLaunchTemplateData, string) {
	t.Helper()
	out, err := e.client.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateName: aws.String(name), Versions: []string{"$Latest"},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := out.LaunchTemplateVersions[0].LaunchTemplateData
	ud, err := base64.StdEncoding.DecodeString(aws.ToString(d.UserData))
	if err != nil {
		t.Fatalf("user data is not base64: %v", err)
	}
	return d, string(ud)
}

// names lists the templates in EC2, optionally only those with a tag.
func (e *env) names(t *testing.T, filters ...ec2types.Filter) []string {
	t.Helper()
	out, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{Filters: filters})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, lt := range out.LaunchTemplates {
		names = append(names, aws.ToString(lt.LaunchTemplateName))
	}
	return names
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
