package aws_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// providerIDPattern is the form of an AWS provider ID, as the cloud controller sets it on nodes.
var providerIDPattern = regexp.MustCompile(`^aws:///us-east-1[abc]/i-[0-9a-f]+$`)

// withSpec edits a NodeClaim's spec in place.
func withSpec(edit func(*v1.NodeClaimSpec)) test.Option {
	return func(o client.Object) { edit(&o.(*v1.NodeClaim).Spec) }
}

// onlyRequirements replaces a NodeClaim's requirements (the fixture's pin m5.large on-demand) with the pool's
// and reqs.
func onlyRequirements(pool string, reqs ...v1.NodeSelectorRequirementWithMinValues) test.Option {
	return withSpec(func(s *v1.NodeClaimSpec) {
		s.Requirements = append([]v1.NodeSelectorRequirementWithMinValues{
			test.Requirement(v1.NodePoolLabelKey, corev1.NodeSelectorOpIn, pool),
		}, reqs...)
	})
}

func TestCreateLaunchesTheCheapestFittingTypeAsTheClaimAsks(t *testing.T) {
	f := setup(t)
	class := f.readyClass(t, func(s *awsv1.EC2NodeClassSpec) { s.Tags = map[string]string{"team": "payments"} })
	pool := f.nodePool(t, func(o client.Object) { o.(*v1.NodePool).Spec.Template.Spec.NodeClassRef.Name = class.Name })
	requests := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3"), corev1.ResourceMemory: resource.MustParse("6Gi")}
	claim := test.NodeClaim(pool.Name, class.Name, test.WithLabels("workload", "checkout"),
		onlyRequirements(pool.Name,
			test.Requirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64"),
			test.Requirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand),
			test.Requirement(awsv1.LabelInstanceCategory, corev1.NodeSelectorOpIn, "c", "m", "r"),
		),
		withSpec(func(s *v1.NodeClaimSpec) {
			s.Resources.Requests = requests
			s.Taints = []v1.Taint{{Key: "example.com/dedicated", Value: "checkout", Effect: corev1.TaintEffectNoSchedule}}
		}))
	test.ExpectApplied(f.ctx, t, env.Client, claim)
	cleanup(t, claim)

	// What the launch should pick, from the same inputs.
	types, err := f.cloud.InstanceTypes(f.ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	choice, err := fleet.Choose(claim, types)
	if err != nil {
		t.Fatal(err)
	}

	launched := f.create(t, claim)

	if !providerIDPattern.MatchString(launched.Status.ProviderID) {
		t.Fatalf("status.providerID = %q, want aws:///<zone>/i-...", launched.Status.ProviderID)
	}
	zone := launched.Labels[corev1.LabelTopologyZone]
	if want := choice.Candidates[0].InstanceType; launched.Labels[corev1.LabelInstanceTypeStable] != want {
		t.Errorf("launched %s, want the cheapest fitting type %s", launched.Labels[corev1.LabelInstanceTypeStable], want)
	}
	for key, want := range map[string]string{
		v1.CapacityTypeLabelKey: v1.CapacityTypeOnDemand, corev1.LabelArchStable: "amd64",
		awsv1.LabelInstanceCategory: choice.Candidates[0].InstanceType[:1],
	} {
		if got := launched.Labels[key]; got != want {
			t.Errorf("label %s = %q, want %q", key, got, want)
		}
	}
	if !strings.HasPrefix(launched.Status.ProviderID, "aws:///"+zone+"/") {
		t.Errorf("provider ID %s is not in the labelled zone %s", launched.Status.ProviderID, zone)
	}
	if !strings.HasPrefix(launched.Status.ImageID, "ami-") {
		t.Errorf("status.imageID = %q, want the AMI the instance booted", launched.Status.ImageID)
	}
	for name, q := range requests {
		if a := launched.Status.Allocatable[name]; a.Cmp(q) < 0 {
			t.Errorf("allocatable %s = %s, less than the %s requested", name, a.String(), q.String())
		}
		if c := launched.Status.Capacity[name]; c.Cmp(launched.Status.Allocatable[name]) < 0 {
			t.Errorf("capacity %s = %s, less than allocatable", name, c.String())
		}
	}
	if launched.Annotations[awsv1.AnnotationEC2NodeClassHash] != nodeclass.Hash(class) ||
		launched.Annotations[awsv1.AnnotationEC2NodeClassHashVersion] != awsv1.EC2NodeClassHashVersion {
		t.Errorf("annotations %v, want the class's hash %s", launched.Annotations, nodeclass.Hash(class))
	}

	inst := f.describe(t, launched.Status.ProviderID)
	if got := sdkaws.ToString(inst.ImageId); got != launched.Status.ImageID {
		t.Errorf("instance booted %s, claim says %s", got, launched.Status.ImageID)
	}
	tags := map[string]string{}
	for _, tag := range inst.Tags {
		tags[sdkaws.ToString(tag.Key)] = sdkaws.ToString(tag.Value)
	}
	for k, v := range map[string]string{
		awsv1.TagNodeClaim: claim.Name, awsv1.TagNodePool: pool.Name, awsv1.TagEC2NodeClass: class.Name,
		awsv1.TagCluster: "test", "kubernetes.io/cluster/test": "owned", "team": "payments",
	} {
		if tags[k] != v {
			t.Errorf("instance tag %s = %q, want %q", k, tags[k], v)
		}
	}

	var chosen *cloudprovider.InstanceType
	for _, it := range types {
		if it.Name == launched.Labels[corev1.LabelInstanceTypeStable] {
			chosen = it
		}
	}
	userData := f.userDataOf(t, sdkaws.ToString(inst.ImageId), chosen)
	for _, want := range []string{
		"name: test", "apiServerEndpoint: https://test-cluster.example.com",
		v1.NodePoolLabelKey + "=" + pool.Name, "workload=checkout", v1.CapacityTypeLabelKey + "=on-demand",
		"key: example.com/dedicated", "value: checkout", "key: " + v1.UnregisteredTaintKey, "effect: NoExecute",
	} {
		if !strings.Contains(userData, want) {
			t.Errorf("user data lacks %q:\n%s", want, userData)
		}
	}
}

// describe returns the EC2 instance behind a provider ID.
func (f *fixture) describe(t *testing.T, providerID string) ec2types.Instance {
	t.Helper()
	id := providerID[strings.LastIndex(providerID, "/")+1:]
	out, err := f.ec2.DescribeInstances(f.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("describing %s: %+v, %v", id, out, err)
	}
	return out.Reservations[0].Instances[0]
}

// userDataOf returns the decoded user data of the launch template that boots image with the kubelet settings of
// the instance type: the one an instance of that type was launched from.
func (f *fixture) userDataOf(t *testing.T, image string, it *cloudprovider.InstanceType) string {
	t.Helper()
	kubelet := []string{fmt.Sprintf("maxPods: %d\n", it.Capacity.Pods().Value()), "cpu: " + it.Overhead.KubeReserved.Cpu().String() + "\n"}
	var found []string
	for _, name := range f.state(t).LaunchTemplates {
		out, err := f.ec2.DescribeLaunchTemplateVersions(f.ctx, &ec2.DescribeLaunchTemplateVersionsInput{
			LaunchTemplateName: sdkaws.String(name), Versions: []string{"$Latest"},
		})
		if err != nil {
			t.Fatalf("describing launch template %s: %v", name, err)
		}
		for _, v := range out.LaunchTemplateVersions {
			data := v.LaunchTemplateData
			if data == nil || sdkaws.ToString(data.ImageId) != image {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(sdkaws.ToString(data.UserData))
			if err != nil {
				t.Fatalf("launch template %s: user data is not base64: %v", name, err)
			}
			if strings.Contains(string(raw), kubelet[0]) && strings.Contains(string(raw), kubelet[1]) {
				found = append(found, string(raw))
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d launch templates boot %s with %q, want 1", len(found), image, kubelet)
	}
	return found[0]
}

func TestGetListDelete(t *testing.T) {
	f := setup(t)
	first, second := f.create(t, f.claim(t)), f.create(t, f.claim(t))

	got, err := f.cloud.Get(f.ctx, first.Status.ProviderID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.ProviderID != first.Status.ProviderID || got.Labels[corev1.LabelInstanceTypeStable] != "m5.large" ||
		got.Labels[v1.NodePoolLabelKey] != f.pool.Name || got.Spec.NodeClassRef == nil || got.Spec.NodeClassRef.Name != f.class.Name {
		t.Errorf("Get = %+v, want the launched m5.large of pool %s and class %s", got, f.pool.Name, f.class.Name)
	}
	if list := f.listed(t); !list[first.Status.ProviderID] || !list[second.Status.ProviderID] {
		t.Errorf("List = %v, want both launched instances", list)
	}

	if err := f.cloud.Delete(f.ctx, first); err != nil {
		t.Fatalf("deleting: %v", err)
	}
	f.sim.Settle()
	if err := f.cloud.Delete(f.ctx, first); !cloudprovider.IsNodeClaimNotFoundError(err) {
		t.Errorf("deleting again = %v, want a NodeClaimNotFoundError", err)
	}
	if _, err := f.cloud.Get(f.ctx, first.Status.ProviderID); !cloudprovider.IsNodeClaimNotFoundError(err) {
		t.Errorf("Get of a terminated instance = %v, want a NodeClaimNotFoundError", err)
	}
	if list := f.listed(t); list[first.Status.ProviderID] || !list[second.Status.ProviderID] {
		t.Errorf("List after a delete = %v, want %s and not the terminated %s", list, second.Status.ProviderID, first.Status.ProviderID)
	}
}

// listed returns the provider IDs the cloud provider lists.
func (f *fixture) listed(t *testing.T) map[string]bool {
	t.Helper()
	claims, err := f.cloud.List(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, c := range claims {
		out[c.Status.ProviderID] = true
	}
	return out
}

func TestCreateTwiceForOneClaimLaunchesOnce(t *testing.T) {
	f := setup(t)
	claim := f.claim(t)
	first := f.create(t, claim)
	// The lifecycle controller crashed before recording the instance, and retries.
	second := f.create(t, claim)
	if second.Status.ProviderID != first.Status.ProviderID {
		t.Errorf("the retry got %s, want the first launch's %s", second.Status.ProviderID, first.Status.ProviderID)
	}
	if second.Status.ImageID != first.Status.ImageID || second.Status.Allocatable.Cpu().Cmp(*first.Status.Allocatable.Cpu()) != 0 ||
		second.Annotations[awsv1.AnnotationEC2NodeClassHash] != first.Annotations[awsv1.AnnotationEC2NodeClassHash] {
		t.Errorf("the retry describes the instance differently:\n first %+v\nsecond %+v", first, second)
	}
	if live := f.live(t, awsv1.TagNodeClaim, claim.Name); len(live) != 1 {
		t.Errorf("EC2 has %d instances, want 1: %+v", len(live), live)
	}
}

func TestCreateWithoutAUsableNodeClass(t *testing.T) {
	f := setup(t)
	unresolved := test.EC2NodeClass() // never reconciled
	test.ExpectApplied(f.ctx, t, env.Client, unresolved)
	cleanup(t, unresolved)
	for name, ref := range map[string]string{"missing": "no-such-class", "not yet resolved": unresolved.Name} {
		claim := test.NodeClaim(f.pool.Name, ref)
		if _, err := f.cloud.Create(f.ctx, claim); !cloudprovider.IsNodeClassNotReadyError(err) {
			t.Errorf("%s node class: Create = %v, want a NodeClassNotReadyError", name, err)
		}
		if live := f.live(t, awsv1.TagNodeClaim, claim.Name); len(live) != 0 {
			t.Errorf("%s node class: EC2 has %d instances for the claim, want none", name, len(live))
		}
	}
}
