package awssim_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// iamClient returns an IAM client of the simulator of e making at most attempts attempts per call.
func iamClient(t *testing.T, e env, attempts int) *iam.Client {
	t.Helper()
	cfg, err := awssim.ClientConfig(t.Context(), e.url, "us-east-1", attempts)
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	return iam.NewFromConfig(cfg)
}

func tagMap(tags []iamtypes.Tag) map[string]string {
	out := map[string]string{}
	for _, tag := range tags {
		out[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return out
}

func TestInstanceProfileLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{ClusterName: "prod"}, 1)
	c := iamClient(t, e, 1)
	ctx := t.Context()
	created, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{
		InstanceProfileName: aws.String("prod_nodes"), Path: aws.String("/stevedore/"),
		Tags: []iamtypes.Tag{{Key: aws.String("stevedore.dev/cluster"), Value: aws.String("prod")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ip := created.InstanceProfile
	if got, want := aws.ToString(ip.Arn), "arn:aws:iam::123456789012:instance-profile/stevedore/prod_nodes"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if id := aws.ToString(ip.InstanceProfileId); !strings.HasPrefix(id, "AIPA") || len(id) != 21 || len(ip.Roles) != 0 || !aws.ToTime(ip.CreateDate).Equal(e.clock.Now()) {
		t.Errorf("new profile: id %s, roles %v, created %v; want AIPA + 17 characters, no roles, created now", id, ip.Roles, ip.CreateDate)
	}
	if got, want := tagMap(ip.Tags), map[string]string{"stevedore.dev/cluster": "prod"}; !maps.Equal(got, want) {
		t.Errorf("Tags = %v, want %v", got, want)
	}

	// The cluster's node role exists from the start.
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
		InstanceProfileName: aws.String("prod_nodes"), RoleName: aws.String("StevedoreNodeRole-prod"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{
		InstanceProfileName: aws.String("prod_nodes"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("infra")}},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("prod_nodes")})
	if err != nil {
		t.Fatal(err)
	}
	roles := got.InstanceProfile.Roles
	if len(roles) != 1 || aws.ToString(roles[0].RoleName) != "StevedoreNodeRole-prod" ||
		aws.ToString(roles[0].Arn) != "arn:aws:iam::123456789012:role/StevedoreNodeRole-prod" || !strings.HasPrefix(aws.ToString(roles[0].RoleId), "AROA") {
		t.Errorf("Roles = %+v, want StevedoreNodeRole-prod", roles)
	}
	if got, want := tagMap(got.InstanceProfile.Tags), map[string]string{"stevedore.dev/cluster": "prod", "team": "infra"}; !maps.Equal(got, want) {
		t.Errorf("Tags after TagInstanceProfile = %v, want %v", got, want)
	}

	if _, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
		InstanceProfileName: aws.String("prod_nodes"), RoleName: aws.String("StevedoreNodeRole-prod"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("prod_nodes")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("prod_nodes")})
	if nse := (*iamtypes.NoSuchEntityException)(nil); !errors.As(err, &nse) {
		t.Errorf("GetInstanceProfile after delete: %v, want *NoSuchEntityException", err)
	}
}

func TestInstanceProfileErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := iamClient(t, e, 1)
	ctx := t.Context()
	name := aws.String("nodes")
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: name}); err != nil {
		t.Fatal(err)
	}
	e.sim.CreateRole("other-role")
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: name, RoleName: aws.String("StevedoreNodeRole-sandbox")}); err != nil {
		t.Fatal(err)
	}
	var (
		noSuchEntity   *iamtypes.NoSuchEntityException
		alreadyExists  *iamtypes.EntityAlreadyExistsException
		limitExceeded  *iamtypes.LimitExceededException
		deleteConflict *iamtypes.DeleteConflictException
	)
	for _, tc := range []struct {
		name string
		call func() error
		want any
	}{
		{"create twice", func() error {
			_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: name})
			return err
		}, &alreadyExists},
		{"get unknown", func() error {
			_, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ghost")})
			return err
		}, &noSuchEntity},
		{"add unknown role", func() error {
			_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: name, RoleName: aws.String("missing-role")})
			return err
		}, &noSuchEntity},
		{"add a second role", func() error {
			_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: name, RoleName: aws.String("other-role")})
			return err
		}, &limitExceeded},
		{"remove a role it lacks", func() error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: name, RoleName: aws.String("other-role")})
			return err
		}, &noSuchEntity},
		{"delete with a role", func() error {
			_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: name})
			return err
		}, &deleteConflict},
		{"delete unknown", func() error {
			_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("ghost")})
			return err
		}, &noSuchEntity},
		{"tag unknown", func() error {
			_, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("ghost"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, &noSuchEntity},
	} {
		if err := tc.call(); !errors.As(err, tc.want) {
			t.Errorf("%s: error %v, want %T", tc.name, err, tc.want)
		}
	}
	_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("no spaces")})
	if got, want := errorCode(err), "ValidationError"; got != want {
		t.Errorf("bad name: error code %q (%v), want %q", got, err, want)
	}
}

func TestListInstanceProfiles(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := iamClient(t, e, 1)
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("profile-%d", i)
		path := "/stevedore/"
		if i == 4 {
			path = "/other/"
		} else {
			want = append(want, name)
		}
		if _, err := c.CreateInstanceProfile(t.Context(), &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name), Path: aws.String(path)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	pages := 0
	for p := iam.NewListInstanceProfilesPaginator(c, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/stevedore/"), MaxItems: aws.Int32(3)}); p.HasMorePages(); {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, ip := range out.InstanceProfiles {
			got = append(got, aws.ToString(ip.InstanceProfileName))
		}
	}
	if !slices.Equal(got, want) || pages != 2 {
		t.Errorf("profiles under /stevedore/ = %v in %d pages, want %v in 2", got, pages, want)
	}
}
