package pricing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	pricingtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/stevedore-dev/stevedore/pkg/aws/refresh"
)

// PricingAPI is the part of the Price List Query API client OnDemand calls. That API is served from a few
// regions only, not from every region it has prices for: build the client with region us-east-1 whatever
// region the nodes run in.
type PricingAPI interface {
	GetProducts(context.Context, *awspricing.GetProductsInput, ...func(*awspricing.Options)) (*awspricing.GetProductsOutput, error)
}

// OnDemand prices on-demand offerings from the Price List Query API, refreshed by Refresh or the Start loop.
// Until the first successful refresh, and for every type the API's answer leaves out, it serves the embedded
// catalog's prices as Static does. Reads never wait for the network. It is safe for concurrent use.
type OnDemand struct {
	client   PricingAPI
	region   string
	clk      clock.Clock
	log      logr.Logger
	fallback *Static

	refreshing sync.Mutex // one refresh at a time, so an older answer never replaces a newer one
	mu         sync.RWMutex
	prices     map[string]float64 // nil until the first successful refresh
	version    uint64
}

// NewOnDemand returns on-demand prices for region (the nodes' region, such as eu-west-1) read through client,
// which must be built for us-east-1 (see PricingAPI).
func NewOnDemand(client PricingAPI, region string, clk clock.Clock, log logr.Logger) *OnDemand {
	return &OnDemand{client: client, region: region, clk: clk, log: log, fallback: NewStatic(region, nil, log)}
}

// OnDemandPrice is the type's on-demand price per hour in US dollars: the API's when it priced the type, the
// catalog's otherwise.
func (o *OnDemand) OnDemandPrice(instanceType string) (float64, bool) {
	o.mu.RLock()
	p, ok := o.prices[instanceType]
	o.mu.RUnlock()
	if ok {
		return p, true
	}
	return o.fallback.OnDemandPrice(instanceType)
}

// Version changes whenever a refresh changes the prices, so callers can tell when derived data is stale.
func (o *OnDemand) Version() uint64 {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.version
}

// Refresh reads the region's Linux, shared-tenancy on-demand prices and replaces the last answer; on error the
// last answer is kept.
func (o *OnDemand) Refresh(ctx context.Context) error {
	o.refreshing.Lock()
	defer o.refreshing.Unlock()
	filter := func(field, value string) pricingtypes.Filter {
		return pricingtypes.Filter{Field: aws.String(field), Value: aws.String(value), Type: pricingtypes.FilterTypeTermMatch}
	}
	pages := awspricing.NewGetProductsPaginator(o.client, &awspricing.GetProductsInput{
		ServiceCode:   aws.String("AmazonEC2"),
		FormatVersion: aws.String("aws_v1"),
		MaxResults:    aws.Int32(100),
		Filters: []pricingtypes.Filter{
			filter("regionCode", o.region),
			filter("operatingSystem", "Linux"),
			filter("tenancy", "Shared"),
			filter("preInstalledSw", "NA"),
			filter("capacitystatus", "Used"),
		},
	})
	prices := map[string]float64{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("getting EC2 on-demand prices for %s: %w", o.region, err)
		}
		for _, doc := range page.PriceList {
			name, price, ok, err := parsePrice(doc)
			if err != nil {
				return fmt.Errorf("getting EC2 on-demand prices for %s: %w", o.region, err)
			}
			if ok && (prices[name] == 0 || price < prices[name]) {
				prices[name] = price
			}
		}
	}
	if len(prices) == 0 {
		// An empty list is far likelier a wrong filter or endpoint than a region with nothing for sale.
		return errors.New("getting EC2 on-demand prices for " + o.region + ": no instance type priced")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !maps.Equal(prices, o.prices) {
		o.prices = prices
		o.version++
	}
	return nil
}

// Start refreshes at once and then every DefaultOnDemandRefresh until ctx ends (a controller-runtime Runnable).
func (o *OnDemand) Start(ctx context.Context) error {
	return refresh.Every(ctx, o.clk, DefaultOnDemandRefresh, o.log, "refreshing prices; keeping the prices already loaded", o.Refresh)
}
