package ami_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/ami"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// now is after the images of Kubernetes 1.33 to 1.36 were deprecated (a year after they were built) and before
// those of 1.37 were.
var now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// counting passes calls to the real clients and counts them, so tests can see what the cache saves.
type counting struct {
	ec2             ami.EC2API
	ssm             ami.SSMAPI
	describes, gets atomic.Int32
}

func (c *counting) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	c.describes.Add(1)
	return c.ec2.DescribeImages(ctx, in, opts...)
}

func (c *counting) GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	c.gets.Add(1)
	return c.ssm.GetParameter(ctx, in, opts...)
}

type env struct {
	sim      *awssim.Server
	provider *ami.Provider
	calls    *counting
	clock    *clocktesting.FakeClock
	client   *ec2.Client
}

// start runs the simulator in-process and points real SDK clients at it over HTTP. Clients make up to three
// attempts per call, since the SDK now and then fails to read a large first response from the simulator
// ("use of closed network connection") and retries it, as it would against EC2.
func start(t *testing.T) env {
	t.Helper()
	clk := clocktesting.NewFakeClock(now)
	sim := awssim.New(awssim.Options{ClusterName: "test", Clock: clk.Now})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(cfg)
	e := env{sim: sim, clock: clk, client: client}
	e.calls = &counting{ec2: client, ssm: ssm.NewFromConfig(cfg)}
	e.provider = ami.New(e.calls, e.calls, clk)
	return e
}

// id is the ID of the simulator's image called name. It asks for one image at a time: the SDK now and then
// fails to read the simulator's answer listing every image, even after retries.
func (e env) id(t *testing.T, name string) string {
	t.Helper()
	out, err := e.client.DescribeImages(t.Context(), &ec2.DescribeImagesInput{
		IncludeDeprecated: aws.Bool(true),
		Filters:           []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Images) != 1 {
		t.Fatalf("the simulator has %d images called %s, want 1", len(out.Images), name)
	}
	return aws.ToString(out.Images[0].ImageId)
}

func nodeClass(terms ...awsv1.AMISelectorTerm) *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{}
	nc.Name = "default"
	nc.Spec.AMISelectorTerms = terms
	return nc
}

// names lists the images' names in order.
func names(amis []awsv1.AMI) []string {
	out := []string{}
	for _, a := range amis {
		out = append(out, a.Name)
	}
	return out
}
