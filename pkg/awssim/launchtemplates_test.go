package awssim_test

import (
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// templateInput asks for a launch template named name with the given image, tagged pool=pool, that tags its
// instances role=worker.
func templateInput(name, imageID, pool string) *ec2.CreateLaunchTemplateInput {
	return &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &types.RequestLaunchTemplateData{
			ImageId:      aws.String(imageID),
			InstanceType: types.InstanceTypeM5Large,
			UserData:     aws.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho hello\n"))),
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{
				ResourceType: types.ResourceTypeInstance,
				Tags:         []types.Tag{{Key: aws.String("role"), Value: aws.String("worker")}},
			}},
		},
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeLaunchTemplate,
			Tags:         []types.Tag{{Key: aws.String("pool"), Value: aws.String(pool)}},
		}},
	}
}

func TestLaunchTemplateLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	created, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "general"))
	if err != nil {
		t.Fatal(err)
	}
	lt := created.LaunchTemplate
	id := aws.ToString(lt.LaunchTemplateId)
	if len(id) != len("lt-0123456789abcdef0") || aws.ToString(lt.LaunchTemplateName) != "stevedore-general" ||
		aws.ToInt64(lt.LatestVersionNumber) != 1 || !aws.ToTime(lt.CreateTime).Equal(newClock().Now()) ||
		tagValue(lt.Tags, "pool") != "general" {
		t.Fatalf("created %+v; want lt-<17 hex> named stevedore-general, version 1, created now, tagged pool=general", lt)
	}
	if _, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-gpu", "ami-0fedcba9876543210", "gpu")); err != nil {
		t.Fatal(err)
	}

	names := func(in *ec2.DescribeLaunchTemplatesInput) []string {
		t.Helper()
		out, err := e.client.DescribeLaunchTemplates(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, lt := range out.LaunchTemplates {
			got = append(got, aws.ToString(lt.LaunchTemplateName))
		}
		return got
	}
	for _, tc := range []struct {
		name string
		in   *ec2.DescribeLaunchTemplatesInput
		want []string
	}{
		{"all", &ec2.DescribeLaunchTemplatesInput{}, []string{"stevedore-general", "stevedore-gpu"}},
		{"by ID", &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{id}}, []string{"stevedore-general"}},
		{"by name", &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"stevedore-gpu"}}, []string{"stevedore-gpu"}},
		{"by tag", &ec2.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("tag:pool"), Values: []string{"g?u"}}}}, []string{"stevedore-gpu"}},
		{"by name filter", &ec2.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("launch-template-name"), Values: []string{"*general"}}}}, []string{"stevedore-general"}},
	} {
		if got := names(tc.in); !equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}

	_, err = e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "again"))
	if got, want := errorCode(err), "InvalidLaunchTemplateName.AlreadyExistsException"; got != want {
		t.Errorf("duplicate name: error code %q, want %q", got, want)
	}
	deleted, err := e.client.DeleteLaunchTemplate(t.Context(), &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: aws.String(id)})
	if err != nil || aws.ToString(deleted.LaunchTemplate.LaunchTemplateName) != "stevedore-general" {
		t.Fatalf("delete = %+v, %v; want stevedore-general deleted", deleted, err)
	}
	if got, want := names(&ec2.DescribeLaunchTemplatesInput{}), []string{"stevedore-gpu"}; !equal(got, want) {
		t.Errorf("after delete: got %v, want %v", got, want)
	}
	if _, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "again")); err != nil {
		t.Errorf("recreating a deleted name: %v", err)
	}
}

func TestLaunchTemplateErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"describe unknown name", func() error {
			_, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"nope"}})
			return err
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"describe unknown ID", func() error {
			_, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{"lt-0123456789abcdef0"}})
			return err
		}, "InvalidLaunchTemplateId.NotFound"},
		{"describe malformed ID", func() error {
			_, err := e.client.DescribeLaunchTemplates(t.Context(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{"nope"}})
			return err
		}, "InvalidLaunchTemplateId.Malformed"},
		{"delete unknown name", func() error {
			_, err := e.client.DeleteLaunchTemplate(t.Context(), &ec2.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String("nope")})
			return err
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"malformed name", func() error {
			_, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("no spaces", "ami-0123456789abcdef0", "x"))
			return err
		}, "InvalidLaunchTemplateName.MalformedException"},
		{"unknown instance type", func() error {
			in := templateInput("bad-type", "ami-0123456789abcdef0", "x")
			in.LaunchTemplateData.InstanceType = "m5.enormous"
			return must(e.client.CreateLaunchTemplate(t.Context(), in))
		}, "InvalidParameterValue"},
		{"user data not base64", func() error {
			in := templateInput("bad-user-data", "ami-0123456789abcdef0", "x")
			in.LaunchTemplateData.UserData = aws.String("#!/bin/bash")
			return must(e.client.CreateLaunchTemplate(t.Context(), in))
		}, "InvalidUserData.Malformed"},
	} {
		if got := errorCode(tc.call()); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}

// must drops a result, keeping the error.
func must[T any](_ T, err error) error { return err }

func TestCreateFleetUsesLaunchTemplate(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	created, err := e.client.CreateLaunchTemplate(t.Context(), templateInput("stevedore-general", "ami-0123456789abcdef0", "general"))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.LaunchTemplate.LaunchTemplateId)
	in := fleetInput(1, types.DefaultTargetCapacityTypeOnDemand, "from-template",
		types.FleetLaunchTemplateOverridesRequest{SubnetId: subnets(t, e)["us-east-1a"].SubnetId})
	in.LaunchTemplateConfigs[0].LaunchTemplateSpecification = &types.FleetLaunchTemplateSpecificationRequest{
		LaunchTemplateId: aws.String(id), Version: aws.String("$Default"),
	}
	out, err := e.client.CreateFleet(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 || out.Instances[0].InstanceType != "m5.large" ||
		aws.ToString(out.Instances[0].LaunchTemplateAndOverrides.LaunchTemplateSpecification.LaunchTemplateName) != "stevedore-general" {
		t.Fatalf("instances = %+v; want one m5.large, the template's type, from stevedore-general", out.Instances)
	}
	described, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: out.Instances[0].InstanceIds})
	if err != nil {
		t.Fatal(err)
	}
	got := described.Reservations[0].Instances[0]
	if aws.ToString(got.ImageId) != "ami-0123456789abcdef0" || tagValue(got.Tags, "role") != "worker" ||
		tagValue(got.Tags, "stevedore.dev/nodeclaim") != "from-template" {
		t.Errorf("instance image %q, tags %+v; want the template's image, its role=worker tag and the fleet's tag",
			aws.ToString(got.ImageId), got.Tags)
	}

	for _, tc := range []struct {
		name string
		spec types.FleetLaunchTemplateSpecificationRequest
		want string
	}{
		{"unknown name", types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateName: aws.String("nope")}, "InvalidLaunchTemplateName.NotFoundException"},
		{"unknown ID", types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String("lt-0123456789abcdef0")}, "InvalidLaunchTemplateId.NotFound"},
		{"unknown version", types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String(id), Version: aws.String("7")}, "InvalidLaunchTemplateId.VersionNotFound"},
	} {
		in.LaunchTemplateConfigs[0].LaunchTemplateSpecification = &tc.spec
		if got := errorCode(must(e.client.CreateFleet(t.Context(), in))); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}
