package awssim_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// images describes images and returns them by name.
func images(t *testing.T, e env, in *ec2.DescribeImagesInput) map[string]types.Image {
	t.Helper()
	out, err := e.client.DescribeImages(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]types.Image{}
	for _, im := range out.Images {
		byName[aws.ToString(im.Name)] = im
	}
	return byName
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func TestDescribeImagesFilters(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	// The test clock is in January 2026: the 1.33 images, built in December 2024, are a year old and deprecated.
	all := images(t, e, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	if got, want := len(all), 4*6; got != want {
		t.Errorf("%d images for Kubernetes 1.34 to 1.37, want %d (AL2023 standard and nvidia, Bottlerocket, two architectures)", got, want)
	}
	for name := range all {
		if strings.Contains(name, "-1.33-") {
			t.Errorf("deprecated image %s listed without IncludeDeprecated", name)
		}
	}
	withDeprecated := images(t, e, &ec2.DescribeImagesInput{Owners: []string{"amazon"}, IncludeDeprecated: aws.Bool(true)})
	if got, want := len(withDeprecated), 5*6; got != want {
		t.Errorf("%d images with IncludeDeprecated, want %d", got, want)
	}

	arm := images(t, e, &ec2.DescribeImagesInput{Filters: []types.Filter{
		filter("name", "amazon-eks-node-al2023-*-standard-1.36-*"), filter("architecture", "arm64"),
	}})
	if len(arm) != 1 {
		t.Fatalf("AL2023 arm64 standard 1.36 images = %v, want one", slices.Collect(maps.Keys(arm)))
	}
	for name, im := range arm {
		if !strings.HasPrefix(name, "amazon-eks-node-al2023-arm64-standard-1.36-v") || im.Architecture != types.ArchitectureValuesArm64 ||
			aws.ToString(im.OwnerId) != "602401143452" || aws.ToString(im.ImageOwnerAlias) != "amazon" ||
			im.State != types.ImageStateAvailable || aws.ToString(im.CreationDate) == "" || aws.ToString(im.DeprecationTime) == "" {
			t.Errorf("image %s = %+v", name, im)
		}
		// Asked for by ID, the image comes back the same, deterministic across servers.
		again := images(t, setup(t, awssim.Options{Seed: 99}, 1), &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(im.ImageId)}})
		if got := again[name]; aws.ToString(got.ImageId) != aws.ToString(im.ImageId) || aws.ToString(got.CreationDate) != aws.ToString(im.CreationDate) {
			t.Errorf("another server describes %s as %+v", aws.ToString(im.ImageId), got)
		}
	}
	bottlerocket := images(t, e, &ec2.DescribeImagesInput{Filters: []types.Filter{filter("name", "bottlerocket-aws-k8s-1.37-*")}})
	if len(bottlerocket) != 2 {
		t.Errorf("Bottlerocket 1.37 images = %v, want x86_64 and aarch64", slices.Collect(maps.Keys(bottlerocket)))
	}
	if got := images(t, e, &ec2.DescribeImagesInput{Owners: []string{"self"}}); len(got) != 0 {
		t.Errorf("images owned by self = %d, want none", len(got))
	}
	if got := images(t, e, &ec2.DescribeImagesInput{Filters: []types.Filter{filter("tag:team", "x")}}); len(got) != 0 {
		t.Errorf("public images matched a tag filter: %d", len(got))
	}
	// A deprecated image asked for by ID is still described.
	for name, im := range withDeprecated {
		if strings.Contains(name, "-1.33-") {
			if got := images(t, e, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(im.ImageId)}}); len(got) != 1 {
				t.Errorf("deprecated %s by ID: %d images, want 1", name, len(got))
			}
			break
		}
	}
}

func TestDescribeImagesErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	for _, tc := range []struct {
		name string
		in   *ec2.DescribeImagesInput
		want string
	}{
		{"unknown ID", &ec2.DescribeImagesInput{ImageIds: []string{"ami-00000000000000000"}}, "InvalidAMIID.NotFound"},
		{"malformed ID", &ec2.DescribeImagesInput{ImageIds: []string{"image-1"}}, "InvalidAMIID.Malformed"},
		{"unknown filter", &ec2.DescribeImagesInput{Filters: []types.Filter{filter("colour", "blue")}}, "InvalidParameterValue"},
	} {
		if got := errorCode(must(e.client.DescribeImages(t.Context(), tc.in))); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestInstancesLaunchTheNewestImageByDefault(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	ids := launch(t, e, 1, "default-image")
	out, err := e.client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	imageID := aws.ToString(out.Reservations[0].Instances[0].ImageId)
	got := images(t, e, &ec2.DescribeImagesInput{ImageIds: []string{imageID}})
	if _, ok := got["amazon-eks-node-al2023-x86_64-standard-1.37-v20251209"]; !ok || len(got) != 1 {
		t.Errorf("m5.large launched without an image runs %s = %v, want the newest AL2023 x86_64 standard image", imageID, slices.Collect(maps.Keys(got)))
	}
}
