package awssim

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// ClientConfig is an AWS SDK configuration for talking to a simulator at url: static credentials, no
// shared config files, the region, every service's endpoint set to url, and a retryer making at most
// attempts attempts per call without waiting between them (the simulator's throttling is instant).
//
// Use at least 3 attempts unless a test wants every throttled call to fail: the Go HTTP transport and the SDK race
// when a response arrives before the request is fully written, which a loopback server makes likely, and the
// client then fails to read a large response with "use of closed network connection" (aws/aws-sdk-go-v2#2737).
// The SDK retries that error, so only a single attempt exposes it.
func ClientConfig(ctx context.Context, url, region string, attempts int) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx,
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
}
