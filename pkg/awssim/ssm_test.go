package awssim_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// ssmClient returns an SSM client of the simulator of e making at most attempts attempts per call.
func ssmClient(t *testing.T, e env, attempts int) *ssm.Client {
	t.Helper()
	cfg, err := awssim.ClientConfig(t.Context(), e.url, "us-east-1", attempts)
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	return ssm.NewFromConfig(cfg)
}

// parameter gets one parameter, failing the test on any error.
func parameter(t *testing.T, c *ssm.Client, name string) ssmtypes.Parameter {
	t.Helper()
	out, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("GetParameter(%s): %v", name, err)
	}
	return *out.Parameter
}

// image describes one image by ID, failing the test unless exactly one is found.
func image(t *testing.T, e env, id string) ec2types.Image {
	t.Helper()
	out, err := e.client.DescribeImages(t.Context(), &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil || len(out.Images) != 1 {
		t.Fatalf("DescribeImages(%s) = %d images, %v; want one", id, len(out.Images), err)
	}
	return out.Images[0]
}

func TestSSMPublicParametersResolveToImages(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := ssmClient(t, e, 1)
	for _, k8s := range []string{"1.33", "1.34", "1.35", "1.36", "1.37"} {
		for _, arch := range []string{"x86_64", "arm64"} {
			for _, variant := range []string{"standard", "nvidia"} {
				dir := fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/%s/%s/", k8s, arch, variant)
				rec := parameter(t, c, dir+"recommended/image_id")
				im := image(t, e, aws.ToString(rec.Value))
				wantPrefix := fmt.Sprintf("amazon-eks-node-al2023-%s-%s-%s-v", arch, variant, k8s)
				if name := aws.ToString(im.Name); !strings.HasPrefix(name, wantPrefix) || string(im.Architecture) != arch {
					t.Errorf("%s -> %s named %s (%s), want %s* (%s)", aws.ToString(rec.Name), aws.ToString(im.ImageId), name, im.Architecture, wantPrefix, arch)
				}
				versioned := parameter(t, c, dir+aws.ToString(im.Name)+"/image_id")
				if aws.ToString(versioned.Value) != aws.ToString(rec.Value) {
					t.Errorf("versioned parameter of %s = %s, want the recommended image %s", aws.ToString(im.Name), aws.ToString(versioned.Value), aws.ToString(rec.Value))
				}
			}
			dir := fmt.Sprintf("/aws/service/bottlerocket/aws-k8s-%s/%s/", k8s, arch)
			latest := parameter(t, c, dir+"latest/image_id")
			im := image(t, e, aws.ToString(latest.Value))
			brArch := map[string]string{"x86_64": "x86_64", "arm64": "aarch64"}[arch]
			name := aws.ToString(im.Name)
			wantPrefix := fmt.Sprintf("bottlerocket-aws-k8s-%s-%s-v", k8s, brArch)
			if !strings.HasPrefix(name, wantPrefix) || string(im.Architecture) != arch {
				t.Errorf("%s -> %s (%s), want %s* (%s)", aws.ToString(latest.Name), name, im.Architecture, wantPrefix, arch)
			}
			version, _, _ := strings.Cut(strings.TrimPrefix(name, wantPrefix), "-")
			if got := parameter(t, c, dir+version+"/image_id"); aws.ToString(got.Value) != aws.ToString(im.ImageId) {
				t.Errorf("Bottlerocket %s parameter = %s, want %s", version, aws.ToString(got.Value), aws.ToString(im.ImageId))
			}
		}
	}
}

func TestSSMParameterShape(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{Region: "us-west-2"}, 1)
	cfg, err := awssim.ClientConfig(t.Context(), e.url, "us-west-2", 1)
	if err != nil {
		t.Fatal(err)
	}
	name := "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/arm64/standard/recommended/image_id"
	p := parameter(t, ssm.NewFromConfig(cfg), name)
	if got, want := aws.ToString(p.ARN), "arn:aws:ssm:us-west-2::parameter"+name; got != want {
		t.Errorf("ARN = %s, want %s", got, want)
	}
	if p.Type != ssmtypes.ParameterTypeString || aws.ToString(p.DataType) != "aws:ec2:image" || p.Version < 1 {
		t.Errorf("Type, DataType, Version = %s, %s, %d; want String, aws:ec2:image, >= 1", p.Type, aws.ToString(p.DataType), p.Version)
	}
	// The 1.36 images were built on 9 September 2025.
	if got := aws.ToTime(p.LastModifiedDate); got.Format(time.DateOnly) != "2025-09-09" {
		t.Errorf("LastModifiedDate = %v, want the image's build day 2025-09-09", got)
	}
}

func TestSSMParameterNotFound(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	for _, name := range []string{
		"/aws/service/eks/optimized-ami/1.20/amazon-linux-2023/x86_64/standard/recommended/image_id",
		"/aws/service/bottlerocket/aws-k8s-1.36/aarch64/latest/image_id", // Bottlerocket's paths say arm64
		"/no/such/parameter",
	} {
		_, err := ssmClient(t, e, 1).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(name)})
		if pnf := (*ssmtypes.ParameterNotFound)(nil); !errors.As(err, &pnf) {
			t.Errorf("GetParameter(%s) error = %v, want *ssmtypes.ParameterNotFound", name, err)
		}
	}
}

func TestSSMGetParameters(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := ssmClient(t, e, 1)
	x86 := "/aws/service/bottlerocket/aws-k8s-1.37/x86_64/latest/image_id"
	arm := "/aws/service/bottlerocket/aws-k8s-1.37/arm64/latest/image_id"
	out, err := c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: []string{arm, "/missing", x86, arm}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range out.Parameters {
		names = append(names, aws.ToString(p.Name))
	}
	if want := []string{arm, x86}; !slices.Equal(names, want) {
		t.Errorf("Parameters = %v, want %v (asked order, duplicates once)", names, want)
	}
	if want := []string{"/missing"}; !slices.Equal(out.InvalidParameters, want) {
		t.Errorf("InvalidParameters = %v, want %v", out.InvalidParameters, want)
	}

	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("/p/%d", i)
	}
	_, err = c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: eleven})
	if got, want := errorCode(err), "ValidationException"; got != want {
		t.Errorf("GetParameters with 11 names: error code %q (%v), want %q", got, err, want)
	}
}

func TestSetParameter(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	c := ssmClient(t, e, 1)
	arm := image(t, e, aws.ToString(parameter(t, c, "/aws/service/bottlerocket/aws-k8s-1.37/arm64/latest/image_id").Value))

	e.sim.SetParameter("/stevedore/node-image", aws.ToString(arm.ImageId))
	p := parameter(t, c, "/stevedore/node-image")
	if aws.ToString(p.Value) != aws.ToString(arm.ImageId) || p.Version != 1 || aws.ToString(p.DataType) != "aws:ec2:image" {
		t.Errorf("custom parameter = %s v%d %s, want %s v1 aws:ec2:image", aws.ToString(p.Value), p.Version, aws.ToString(p.DataType), aws.ToString(arm.ImageId))
	}
	if got, want := aws.ToString(p.ARN), "arn:aws:ssm:us-east-1:123456789012:parameter/stevedore/node-image"; got != want {
		t.Errorf("ARN = %s, want %s", got, want)
	}
	if !aws.ToTime(p.LastModifiedDate).Equal(e.clock.Now()) {
		t.Errorf("LastModifiedDate = %v, want the simulator's clock %v", aws.ToTime(p.LastModifiedDate), e.clock.Now())
	}

	e.clock.Advance(time.Minute)
	e.sim.SetParameter("/stevedore/node-image", "not an image")
	p = parameter(t, c, "/stevedore/node-image")
	if aws.ToString(p.Value) != "not an image" || p.Version != 2 || aws.ToString(p.DataType) != "text" {
		t.Errorf("overwritten parameter = %q v%d %s, want %q v2 text", aws.ToString(p.Value), p.Version, aws.ToString(p.DataType), "not an image")
	}
}
