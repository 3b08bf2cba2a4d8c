package aws

import (
	"context"
	"fmt"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/stevedore-dev/stevedore/pkg/aws/sdkhttp"
)

// MaxAttempts is how many times a throttled or failed AWS call is tried before its error is returned. The
// adaptive retryer also slows the client down while AWS throttles it, so a burst of launches backs off instead
// of spending the account's request budget on retries.
const MaxAttempts = 10

// PricingRegion is where the AWS Price List API is served from; its answers cover every region.
const PricingRegion = "us-east-1"

// ConfigOptions override parts of the standard AWS SDK configuration.
type ConfigOptions struct {
	// Region overrides AWS_REGION, the shared config files and instance metadata.
	Region string
	// EndpointURL sends every service's calls to this URL, like AWS_ENDPOINT_URL (which is honoured anyway,
	// as are the per-service AWS_ENDPOINT_URL_<SERVICE> variables).
	EndpointURL string
}

// Config loads the AWS SDK configuration the standard way — environment, shared config and credentials files,
// web identity (IRSA) and EKS Pod Identity, instance metadata — with the overrides, and adaptive retries.
func Config(ctx context.Context, opts ConfigOptions) (sdkaws.Config, error) {
	loaders := []func(*config.LoadOptions) error{
		config.WithRetryer(func() sdkaws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = MaxAttempts })
			})
		}),
	}
	if opts.Region != "" {
		loaders = append(loaders, config.WithRegion(opts.Region))
	} else {
		loaders = append(loaders, config.WithEC2IMDSRegion())
	}
	if opts.EndpointURL != "" {
		loaders = append(loaders, config.WithBaseEndpoint(opts.EndpointURL))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return sdkaws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	// After loading, so that a custom CA bundle (AWS_CA_BUNDLE) has been applied to the SDK's own client.
	cfg.HTTPClient = sdkhttp.Client{Next: cfg.HTTPClient}
	if cfg.Region == "" {
		return sdkaws.Config{}, fmt.Errorf("no AWS region: set --aws-region or AWS_REGION")
	}
	return cfg, nil
}
