package nodeclass_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestDeletionWaitsForNodeClaimsThenCleansUp(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	nc := class(t, nil)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	profile := nc.Status.InstanceProfile
	claim := test.NodeClaim("default", nc.Name)
	other := test.NodeClaim("default", "another-class")
	test.ExpectApplied(ctx, t, env.Client, claim, other)
	t.Cleanup(func() { test.ExpectDeleted(context.WithoutCancel(ctx), t, env.Client, other) })

	test.ExpectDeleted(ctx, t, env.Client, nc)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	c := expectCondition(t, nc, awsv1.ConditionTypeTerminating, metav1.ConditionTrue, awsv1.ReasonWaitingOnNodeClaims)
	if !strings.Contains(c.Message, claim.Name) || strings.Contains(c.Message, other.Name) {
		t.Errorf("Terminating message %q should name %s (and not %s, which uses another class)", c.Message, claim.Name, other.Name)
	}
	if evs := f.events(); len(evs) != 1 || !strings.Contains(evs[0], claim.Name) {
		t.Errorf("events %q, want exactly one naming %s however many times the class is reconciled", evs, claim.Name)
	}
	if n := f.templates.deletedFor(nc.Name); n != 0 {
		t.Errorf("launch templates deleted while a NodeClaim still uses the class")
	}
	if _, err := f.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(profile)}); err != nil {
		t.Errorf("instance profile deleted while a NodeClaim still uses the class: %v", err)
	}

	test.ExpectDeleted(ctx, t, env.Client, claim)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectNotFound(ctx, t, env.Client, nc)
	if n := f.templates.deletedFor(nc.Name); n != 1 {
		t.Errorf("launch templates of %s deleted %d times, want once", nc.Name, n)
	}
	_, err := f.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(profile)})
	if err == nil || !strings.Contains(err.Error(), "NoSuchEntity") {
		t.Errorf("instance profile %s after deletion: %v, want NoSuchEntity", profile, err)
	}
}

func TestDeletionLeavesAUserSuppliedInstanceProfile(t *testing.T) {
	f, ctx := setup(t), test.Context(t)
	if _, err := f.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("TeamProfile")}); err != nil {
		t.Fatal(err)
	}
	nc := class(t, func(s *awsv1.EC2NodeClassSpec) { s.Role, s.InstanceProfile = "", aws.String("TeamProfile") })
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectExists(ctx, t, env.Client, nc)
	if nc.Status.InstanceProfile != "TeamProfile" {
		t.Errorf("status.instanceProfile = %q, want TeamProfile", nc.Status.InstanceProfile)
	}

	test.ExpectDeleted(ctx, t, env.Client, nc)
	test.ExpectReconciled(ctx, t, f.controller, nc)
	test.ExpectNotFound(ctx, t, env.Client, nc)
	if _, err := f.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("TeamProfile")}); err != nil {
		t.Errorf("the user's instance profile was deleted with the class: %v", err)
	}
	if n := f.templates.deletedFor(nc.Name); n != 1 {
		t.Errorf("launch templates of %s deleted %d times, want once", nc.Name, n)
	}
}
