package awssim

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/stevedore-dev/stevedore/pkg/aws/sdkhttp"
)

// ClientConfig is an AWS SDK configuration for talking to a simulator at url: static credentials, no
// shared config files, the region, every service's endpoint set to url, and a retryer making at most
// attempts attempts per call without waiting between them (the simulator's throttling is instant).
// The HTTP client buffers request bodies (see pkg/aws/sdkhttp), so a single attempt is reliable against a
// loopback server.
func ClientConfig(ctx context.Context, url, region string, attempts int) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithBaseEndpoint(url),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "simulator", "")),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		}),
	)
	if err != nil {
		return aws.Config{}, err
	}
	cfg.HTTPClient = sdkhttp.Client{Next: cfg.HTTPClient}
	return cfg, nil
}
