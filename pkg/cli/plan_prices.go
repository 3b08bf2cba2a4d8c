package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"k8s.io/utils/clock"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
)

// awsPricesOptions are the flags that let `stevedore plan` read spot prices from EC2. Offline, spot offerings
// have no price, so spot nodes cost nothing to the disruption pass and spot capacity is never chosen.
type awsPricesOptions struct {
	awsPrices   bool
	endpointURL string
}

func (o *awsPricesOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.awsPrices, "aws-prices", false, "read current spot prices from EC2 (DescribeSpotPriceHistory, read only) with the AWS SDK's usual credentials; offline, spot has no price")
	f.StringVar(&o.endpointURL, "aws-endpoint-url", "", "with --aws-prices: send the EC2 calls to this URL instead of AWS, such as the sandbox's simulator")
}

// validate checks the flags without contacting AWS.
func (o *awsPricesOptions) validate() []error {
	if o.endpointURL == "" {
		return nil
	}
	var errs []error
	if !o.awsPrices {
		errs = append(errs, errors.New("--aws-endpoint-url applies only to --aws-prices: add --aws-prices, or drop --aws-endpoint-url"))
	}
	u, err := url.Parse(o.endpointURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--aws-endpoint-url %q is not an absolute http(s) URL such as http://127.0.0.1:4566", o.endpointURL))
	}
	return errs
}

// spotPrices reads the region's current spot prices once, or returns nil without --aws-prices. The plan is
// one moment's answer, so the prices are not refreshed afterwards.
func (o *planOptions) spotPrices(ctx context.Context) (pricing.SpotSource, error) {
	if !o.awsPrices {
		return nil, nil
	}
	cfg, err := aws.Config(ctx, aws.ConfigOptions{Region: o.region, EndpointURL: o.endpointURL})
	if err != nil {
		return nil, fmt.Errorf("--aws-prices: %w", err)
	}
	spot := pricing.NewSpot(ec2.NewFromConfig(cfg), clock.RealClock{}, logr.Discard(), pricing.SpotOptions{})
	if err := spot.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("--aws-prices: reading spot prices of %s (check the AWS credentials and --region): %w", o.region, err)
	}
	return spot, nil
}

// warnUnpricedSpot says how to price spot nodes when the input has some and spot has no price.
func (b *snapshotBuilder) warnUnpricedSpot() {
	if b.spot != nil {
		return
	}
	for _, n := range b.objects.Nodes {
		if n.Labels[v1.CapacityTypeLabelKey] == v1.CapacityTypeSpot {
			b.warn("spot nodes are unpriced offline and count as $0/h (node %s); pass --aws-prices to read current spot prices from EC2", n.Name)
			return
		}
	}
}
