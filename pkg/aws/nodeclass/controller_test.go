package nodeclass_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// expectCondition fails unless nc's condition t has the given status (and reason, when not empty).
func expectCondition(t *testing.T, nc *awsv1.EC2NodeClass, ct string, status metav1.ConditionStatus, reason string) *metav1.Condition {
	t.Helper()
	c := nc.Conditions().Get(ct)
	if c == nil || c.Status != status || (reason != "" && c.Reason != reason) {
		t.Fatalf("condition %s = %+v, want status %s reason %q; all: %+v", ct, c, status, reason, nc.Status.Conditions)
	}
	return c
}

func architectures(amis []awsv1.AMI) []string {
	var archs []string
	for _, a := range amis {
		for _, r := range a.Requirements {
			if r.Key == corev1.LabelArchStable && r.Operator == corev1.NodeSelectorOpIn {
				archs = append(archs, r.Values...)
			}
		}
	}
	slices.Sort(archs)
	return slices.Compact(archs)
}

func TestDiscoveryTaggedClassBecomesReady(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	nc := class(t, nil)

	res := test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)

	expectCondition(t, nc, conditions.Ready, metav1.ConditionTrue, "")
	if len(nc.Status.Subnets) != 3 || len(nc.Status.SecurityGroups) != 1 {
		t.Errorf("resolved %d subnets and %d security groups, want 3 and 1: %+v", len(nc.Status.Subnets), len(nc.Status.SecurityGroups), nc.Status)
	}
	zones := map[string]bool{}
	for _, s := range nc.Status.Subnets {
		zones[s.Zone] = true
	}
	if len(zones) != 3 {
		t.Errorf("subnets span zones %v, want 3 zones", zones)
	}
	if got := architectures(nc.Status.AMIs); !slices.Equal(got, []string{"amd64", "arm64"}) {
		t.Errorf("AMIs cover architectures %v, want amd64 and arm64: %+v", got, nc.Status.AMIs)
	}
	if want := f.profiles.Name(nc.Name); nc.Status.InstanceProfile != want {
		t.Errorf("status.instanceProfile = %q, want %q", nc.Status.InstanceProfile, want)
	}
	if !slices.Contains(nc.Finalizers, awsv1.TerminationFinalizer) {
		t.Errorf("finalizers %v lack %s", nc.Finalizers, awsv1.TerminationFinalizer)
	}
	if nc.Annotations[awsv1.AnnotationEC2NodeClassHash] != nodeclass.Hash(nc) || nc.Annotations[awsv1.AnnotationEC2NodeClassHashVersion] != "v1" {
		t.Errorf("annotations %v, want hash %s version v1", nc.Annotations, nodeclass.Hash(nc))
	}
	if res.RequeueAfter != nodeclass.ResyncPeriod {
		t.Errorf("a Ready class requeues after %v, want %v", res.RequeueAfter, nodeclass.ResyncPeriod)
	}
	if err := nodeclass.Ready(nc); err != nil {
		t.Errorf("Ready(a Ready class) = %v", err)
	}
}

func TestSelectingNoSubnetIsExplainedAndFixingItMakesTheClassReady(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	nc := class(t, func(s *awsv1.EC2NodeClassSpec) {
		s.SubnetSelectorTerms = []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": "other-cluster"}}}
	})

	res := test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	c := expectCondition(t, nc, awsv1.ConditionTypeSubnetsReady, metav1.ConditionFalse, awsv1.ReasonSubnetsNotFound)
	if !strings.Contains(c.Message, "spec.subnetSelectorTerms") {
		t.Errorf("message %q does not name spec.subnetSelectorTerms", c.Message)
	}
	ready := expectCondition(t, nc, conditions.Ready, metav1.ConditionFalse, awsv1.ReasonSubnetsNotFound)
	if !strings.Contains(ready.Message, "spec.subnetSelectorTerms") {
		t.Errorf("Ready message %q does not carry the subnet problem", ready.Message)
	}
	expectCondition(t, nc, awsv1.ConditionTypeSecurityGroupsReady, metav1.ConditionTrue, "")
	if len(nc.Status.Subnets) != 0 {
		t.Errorf("status.subnets = %v, want none", nc.Status.Subnets)
	}
	if res.RequeueAfter != nodeclass.NotReadyPeriod {
		t.Errorf("a class that is not Ready requeues after %v, want %v", res.RequeueAfter, nodeclass.NotReadyPeriod)
	}
	err := nodeclass.Ready(nc)
	if !cloudprovider.IsNodeClassNotReadyError(err) || !strings.Contains(err.Error(), "spec.subnetSelectorTerms") {
		t.Errorf("Ready = %v, want a NodeClassNotReadyError naming spec.subnetSelectorTerms", err)
	}
	if evs := f.events(); len(evs) != 1 || !strings.Contains(evs[0], "Warning "+awsv1.ReasonSubnetsNotFound) {
		t.Errorf("events %q, want one SubnetsNotFound warning", evs)
	}

	nc.Spec.SubnetSelectorTerms = []awsv1.SubnetSelectorTerm{{Tags: map[string]string{"stevedore.dev/discovery": "test"}}}
	test.ExpectApplied(ctx, t, env.Client, nc)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	expectCondition(t, nc, conditions.Ready, metav1.ConditionTrue, "")
	if len(nc.Status.Subnets) != 3 {
		t.Errorf("after fixing the selector: %d subnets, want 3", len(nc.Status.Subnets))
	}
	if err := nodeclass.Ready(nc); err != nil {
		t.Errorf("Ready after the fix = %v", err)
	}
}

func TestUnchangedClassIsNotWritten(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	nc := class(t, nil)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	before, writes := nc.ResourceVersion, f.writes.Load()
	if writes == 0 {
		t.Fatal("the first reconcile wrote nothing")
	}

	env.Clock.Step(nodeclass.ResyncPeriod)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	if nc.ResourceVersion != before {
		t.Errorf("re-resolving an unchanged class wrote it: resourceVersion %s -> %s", before, nc.ResourceVersion)
	}
	if n := f.writes.Load() - writes; n != 0 {
		t.Errorf("re-resolving an unchanged class sent %d patches, want none", n)
	}
}

func TestRoleGetsOneInstanceProfileThatIsReused(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	nc := class(t, nil)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	name := nc.Status.InstanceProfile

	out, err := f.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		t.Fatalf("instance profile %q: %v", name, err)
	}
	if len(out.InstanceProfile.Roles) != 1 || aws.ToString(out.InstanceProfile.Roles[0].RoleName) != nc.Spec.Role {
		t.Errorf("profile roles %+v, want [%s]", out.InstanceProfile.Roles, nc.Spec.Role)
	}
	created := aws.ToString(out.InstanceProfile.InstanceProfileId)

	env.Clock.Step(nodeclass.ResyncPeriod * 10) // past the profile cache, so IAM is asked again
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	again, err := f.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil || aws.ToString(again.InstanceProfile.InstanceProfileId) != created || nc.Status.InstanceProfile != name {
		t.Errorf("after another reconcile: profile %+v (%v), status %q; want the same profile %s", again, err, nc.Status.InstanceProfile, created)
	}
}

func TestMissingRoleIsExplained(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	nc := class(t, func(s *awsv1.EC2NodeClassSpec) { s.Role = "NoSuchRole" })
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	c := expectCondition(t, nc, awsv1.ConditionTypeInstanceProfileReady, metav1.ConditionFalse, awsv1.ReasonRoleNotFound)
	if !strings.Contains(c.Message, "spec.role") || !strings.Contains(c.Message, "NoSuchRole") {
		t.Errorf("message %q does not name spec.role and the role", c.Message)
	}
	expectCondition(t, nc, conditions.Ready, metav1.ConditionFalse, "")

	f.sim.CreateRole("NoSuchRole")
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	expectCondition(t, nc, conditions.Ready, metav1.ConditionTrue, "")
}

func TestInvalidCombinationsFailValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*awsv1.EC2NodeClassSpec)
		reason string
		field  string
	}{
		{
			name: "bottlerocket with user data",
			edit: func(s *awsv1.EC2NodeClassSpec) {
				s.AMISelectorTerms = []awsv1.AMISelectorTerm{{Alias: "bottlerocket@latest"}}
				s.UserData = aws.String("[settings.kubernetes]\nmax-pods = 20\n")
			},
			reason: awsv1.ReasonUserDataNotSupported, field: "spec.userData",
		},
		{
			name: "custom family without user data",
			edit: func(s *awsv1.EC2NodeClassSpec) {
				s.AMISelectorTerms = []awsv1.AMISelectorTerm{{Name: "amazon-eks-node-al2023-x86_64-standard-1.37-*"}}
				s.AMIFamily = aws.String(awsv1.AMIFamilyCustom)
			},
			reason: awsv1.ReasonCustomWithoutUserData, field: "spec.userData",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ctx := setup(t), test.Context(t)
			nc := class(t, tc.edit)
			test.ExpectReconciled(ctx, t, f.controller, nc)
			test.ExpectExists(ctx, t, env.Client, nc)
			c := expectCondition(t, nc, awsv1.ConditionTypeValidationSucceeded, metav1.ConditionFalse, tc.reason)
			if !strings.Contains(c.Message, tc.field) {
				t.Errorf("message %q does not name %s", c.Message, tc.field)
			}
			expectCondition(t, nc, conditions.Ready, metav1.ConditionFalse, "")
			if err := nodeclass.Ready(nc); !cloudprovider.IsNodeClassNotReadyError(err) {
				t.Errorf("Ready = %v, want a NodeClassNotReadyError", err)
			}
		})
	}
}

func TestErrorsAreReturnedAndOtherPartsStillResolve(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	f.versionErr = errVersion
	nc := class(t, nil)

	err := test.ExpectReconcileFailed(ctx, t, f.controller, nc)
	if !strings.Contains(err.Error(), errVersion.Error()) {
		t.Errorf("Reconcile error %v does not carry the cause", err)
	}
	test.ExpectExists(ctx, t, env.Client, nc)
	expectCondition(t, nc, awsv1.ConditionTypeSubnetsReady, metav1.ConditionTrue, "")
	expectCondition(t, nc, awsv1.ConditionTypeAMIsReady, metav1.ConditionUnknown, "")
	expectCondition(t, nc, conditions.Ready, metav1.ConditionUnknown, "")

	f.versionErr = nil
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	expectCondition(t, nc, conditions.Ready, metav1.ConditionTrue, "")
}

func TestRegistersWithAManager(t *testing.T) {
	f := setup(t)
	mgr, err := manager.New(env.Config, manager.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.controller.Register(mgr); err != nil {
		t.Errorf("Register: %v", err)
	}
	if f.controller.Name() != nodeclass.Name {
		t.Errorf("Name() = %q", f.controller.Name())
	}
}
