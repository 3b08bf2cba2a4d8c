package instanceprofile_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instanceprofile"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

const nodeRole = "StevedoreNodeRole-test" // the simulator creates StevedoreNodeRole-<cluster>

// counting records which IAM calls reach the simulator, to prove the cache spares them.
type counting struct {
	instanceprofile.IAMAPI
	mu    sync.Mutex
	calls map[string]int
}

func (c *counting) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

func (c *counting) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

func (c *counting) CreateInstanceProfile(ctx context.Context, in *iam.CreateInstanceProfileInput, o ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error) {
	c.count("CreateInstanceProfile")
	return c.IAMAPI.CreateInstanceProfile(ctx, in, o...)
}

func (c *counting) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, o ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	c.count("GetInstanceProfile")
	return c.IAMAPI.GetInstanceProfile(ctx, in, o...)
}

type env struct {
	sim      *awssim.Server
	iam      *iam.Client
	calls    *counting
	clock    *clocktesting.FakeClock
	provider *instanceprofile.Provider
}

func start(t *testing.T) env {
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
	client := iam.NewFromConfig(cfg)
	calls := &counting{IAMAPI: client, calls: map[string]int{}}
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return env{sim: sim, iam: client, calls: calls, clock: clk, provider: instanceprofile.New(calls, "test", "us-east-1", clk)}
}

func nodeClass(name string, edit func(*awsv1.EC2NodeClassSpec)) *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: awsv1.EC2NodeClassSpec{Role: nodeRole}}
	if edit != nil {
		edit(&nc.Spec)
	}
	return nc
}

// roles returns the roles the profile holds in IAM, or nil and false when it does not exist.
func (e env) roles(t *testing.T, name string) ([]string, map[string]string, bool) {
	t.Helper()
	out, err := e.iam.GetInstanceProfile(t.Context(), &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchEntity") {
			return nil, nil, false
		}
		t.Fatal(err)
	}
	var roles []string
	for _, r := range out.InstanceProfile.Roles {
		roles = append(roles, aws.ToString(r.RoleName))
	}
	tags := map[string]string{}
	for _, tag := range out.InstanceProfile.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return roles, tags, true
}

func TestEnsureCreatesATaggedProfileOnceAndCachesIt(t *testing.T) {
	e := start(t)
	nc := nodeClass("default", nil)
	name, err := e.provider.Ensure(t.Context(), nc)
	if err != nil {
		t.Fatal(err)
	}
	if want := e.provider.Name("default"); name != want || !strings.HasPrefix(name, "stevedore_test_") {
		t.Errorf("Ensure = %q, want %q (stevedore_<cluster>_<hash>)", name, want)
	}
	roles, tags, ok := e.roles(t, name)
	if !ok || len(roles) != 1 || roles[0] != nodeRole {
		t.Fatalf("profile %s: exists %v, roles %v, want [%s]", name, ok, roles, nodeRole)
	}
	if tags[awsv1.TagCluster] != "test" || tags[awsv1.TagEC2NodeClass] != "default" {
		t.Errorf("profile tags %v, want the cluster and node class", tags)
	}

	before := e.calls.total()
	if again, err := e.provider.Ensure(t.Context(), nc); err != nil || again != name {
		t.Fatalf("second Ensure = %q, %v", again, err)
	}
	if n := e.calls.total() - before; n != 0 {
		t.Errorf("second Ensure within the cache period made %d IAM calls, want 0", n)
	}

	e.clock.Step(instanceprofile.CacheTTL)
	if again, err := e.provider.Ensure(t.Context(), nc); err != nil || again != name {
		t.Fatalf("Ensure after the cache period = %q, %v", again, err)
	}
	if e.calls.calls["GetInstanceProfile"] != 2 || e.calls.calls["CreateInstanceProfile"] != 1 {
		t.Errorf("calls %v: want the profile checked again after the cache period but created only once", e.calls.calls)
	}
}

func TestEnsureReplacesADifferentRole(t *testing.T) {
	e := start(t)
	e.sim.CreateRole("OtherRole")
	if _, err := e.provider.Ensure(t.Context(), nodeClass("default", nil)); err != nil {
		t.Fatal(err)
	}
	name, err := e.provider.Ensure(t.Context(), nodeClass("default", func(s *awsv1.EC2NodeClassSpec) { s.Role = "OtherRole" }))
	if err != nil {
		t.Fatal(err)
	}
	if roles, _, _ := e.roles(t, name); len(roles) != 1 || roles[0] != "OtherRole" {
		t.Errorf("roles after changing spec.role: %v, want [OtherRole]", roles)
	}
}

func TestEnsureReportsMissingRoleAndProfile(t *testing.T) {
	e := start(t)
	_, err := e.provider.Ensure(t.Context(), nodeClass("default", func(s *awsv1.EC2NodeClassSpec) { s.Role = "NoSuchRole" }))
	var missing *instanceprofile.NotFoundError
	if !instanceprofile.IsNotFound(err) || !asNotFound(err, &missing) || missing.Field != "spec.role" || missing.Name != "NoSuchRole" {
		t.Errorf("missing role: got %v, want a NotFoundError for spec.role NoSuchRole", err)
	}

	byName := func(s *awsv1.EC2NodeClassSpec) { s.Role, s.InstanceProfile = "", aws.String("TeamProfile") }
	_, err = e.provider.Ensure(t.Context(), nodeClass("mine", byName))
	if !asNotFound(err, &missing) || missing.Field != "spec.instanceProfile" {
		t.Errorf("missing instance profile: got %v, want a NotFoundError for spec.instanceProfile", err)
	}
}

func TestUserSuppliedProfileIsUsedAndNeverDeleted(t *testing.T) {
	e := start(t)
	if _, err := e.iam.CreateInstanceProfile(t.Context(), &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("TeamProfile")}); err != nil {
		t.Fatal(err)
	}
	nc := nodeClass("mine", func(s *awsv1.EC2NodeClassSpec) { s.Role, s.InstanceProfile = "", aws.String("TeamProfile") })
	if name, err := e.provider.Ensure(t.Context(), nc); err != nil || name != "TeamProfile" {
		t.Fatalf("Ensure = %q, %v, want TeamProfile", name, err)
	}
	if err := e.provider.Delete(t.Context(), nc); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := e.roles(t, "TeamProfile"); !ok {
		t.Error("Delete removed a profile the user owns")
	}
	if e.calls.calls["CreateInstanceProfile"] != 0 {
		t.Errorf("created a profile for a class naming its own: %v", e.calls.calls)
	}
}

func TestDeleteRemovesTheProfileAndIsIdempotent(t *testing.T) {
	e := start(t)
	nc := nodeClass("default", nil)
	name, err := e.provider.Ensure(t.Context(), nc)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.provider.Delete(t.Context(), nc); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, _, ok := e.roles(t, name); ok {
			t.Fatalf("profile %s still exists after Delete", name)
		}
	}
	// The cache must not claim a deleted profile still exists.
	if _, err := e.provider.Ensure(t.Context(), nc); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := e.roles(t, name); !ok {
		t.Error("Ensure after Delete did not recreate the profile")
	}
}

func TestNameIsDeterministicDistinctAndWithinIAMLimits(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	p := instanceprofile.New(nil, "test", "us-east-1", clk)
	if restarted := instanceprofile.New(nil, "test", "us-east-1", clk); p.Name("a") != restarted.Name("a") {
		t.Error("Name differs between two providers (a restarted controller would create a second profile)")
	}
	if p.Name("a") == p.Name("b") {
		t.Error("two node classes share a profile name")
	}
	if p.Name("a") == instanceprofile.New(nil, "test", "eu-west-1", clk).Name("a") {
		t.Error("one node class in two regions shares a profile name")
	}
	long := instanceprofile.New(nil, strings.Repeat("c", 200), "us-east-1", clk)
	if n := long.Name("a"); len(n) > 128 || long.Name("a") == long.Name("b") {
		t.Errorf("long cluster name: %q (%d characters), want at most 128 and still distinct", n, len(n))
	}
}

func asNotFound(err error, target **instanceprofile.NotFoundError) bool {
	return errors.As(err, target)
}
