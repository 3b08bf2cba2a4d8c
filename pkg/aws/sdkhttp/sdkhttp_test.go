package sdkhttp_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/stevedore-dev/stevedore/pkg/aws/sdkhttp"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// TestLargeResponsesFromALoopbackServerAreRead makes many single-attempt calls with large answers to a
// loopback server: with the SDK's own client a few of them fail to read the response, with this one none does.
func TestLargeResponsesFromALoopbackServerAreRead(t *testing.T) {
	sim := awssim.New(awssim.Options{})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.HTTPClient.(sdkhttp.Client); !ok {
		t.Fatalf("the simulator's client configuration uses %T, not the buffering client", cfg.HTTPClient)
	}
	client := ec2.NewFromConfig(cfg)
	for i := range 300 {
		if _, err := client.DescribeImages(t.Context(), &ec2.DescribeImagesInput{IncludeDeprecated: aws.Bool(true)}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}
