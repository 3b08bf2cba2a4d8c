package pricing

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/stevedore-dev/stevedore/pkg/aws/refresh"
)

// EC2API is the part of the EC2 client Spot calls.
type EC2API interface {
	DescribeSpotPriceHistory(context.Context, *ec2.DescribeSpotPriceHistoryInput, ...func(*ec2.Options)) (*ec2.DescribeSpotPriceHistoryOutput, error)
}

// SpotOptions configures a Spot.
type SpotOptions struct {
	// Refresh is how often Start re-reads the prices; DefaultSpotRefresh when zero.
	Refresh time.Duration
	// Fallback, when set, prices spot until the first successful refresh. Without it there are no spot
	// offerings until then, so nothing is launched on spot at a guessed price.
	Fallback SpotSource
}

// pool is one spot capacity pool: an instance type in a zone.
type pool struct{ instanceType, zone string }

// Spot is a SpotSource backed by DescribeSpotPriceHistory: the price now in effect for every Linux pool in the
// region, refreshed by Refresh or the Start loop, the last good answer kept when a refresh fails. Reads never
// wait for the network. It is safe for concurrent use.
type Spot struct {
	client   EC2API
	clk      clock.Clock
	log      logr.Logger
	interval time.Duration
	fallback SpotSource

	refreshing sync.Mutex
	mu         sync.RWMutex
	prices     map[pool]float64 // nil until the first successful refresh
	version    uint64
}

var _ SpotSource = (*Spot)(nil)

// NewSpot returns spot prices read through client, which is built for the nodes' region.
func NewSpot(client EC2API, clk clock.Clock, log logr.Logger, opts SpotOptions) *Spot {
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultSpotRefresh
	}
	return &Spot{client: client, clk: clk, log: log, interval: opts.Refresh, fallback: opts.Fallback}
}

// SpotPrice is the type's current spot price per hour in the zone; false when EC2 listed no price for the pool
// (or, before the first refresh, when there is no fallback).
func (s *Spot) SpotPrice(instanceType, zone string) (float64, bool) {
	s.mu.RLock()
	prices := s.prices
	p, ok := prices[pool{instanceType, zone}]
	s.mu.RUnlock()
	if prices == nil && s.fallback != nil {
		return s.fallback.SpotPrice(instanceType, zone)
	}
	return p, ok
}

// Version changes whenever a refresh changes the prices.
func (s *Spot) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// Refresh reads the latest Linux spot price of every pool and replaces the last answer; on error the last
// answer is kept. Asking from now on returns, per pool, the price in effect now.
func (s *Spot) Refresh(ctx context.Context) error {
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	pages := ec2.NewDescribeSpotPriceHistoryPaginator(s.client, &ec2.DescribeSpotPriceHistoryInput{
		ProductDescriptions: []string{"Linux/UNIX"},
		StartTime:           aws.Time(s.clk.Now()),
		MaxResults:          aws.Int32(1000),
	})
	prices := map[pool]float64{}
	stamps := map[pool]time.Time{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describing spot price history: %w", err)
		}
		for _, h := range page.SpotPriceHistory {
			if err := latest(prices, stamps, h); err != nil {
				return fmt.Errorf("describing spot price history: %w", err)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prices == nil || !maps.Equal(prices, s.prices) {
		s.prices = prices
		s.version++
	}
	return nil
}

// latest records h when it is the newest price seen for its pool.
func latest(prices map[pool]float64, stamps map[pool]time.Time, h ec2types.SpotPrice) error {
	p, err := strconv.ParseFloat(aws.ToString(h.SpotPrice), 64)
	if err != nil {
		return fmt.Errorf("parsing the spot price of %s: %w", h.InstanceType, err)
	}
	if p <= 0 {
		return nil
	}
	k := pool{string(h.InstanceType), aws.ToString(h.AvailabilityZone)}
	at := aws.ToTime(h.Timestamp)
	if seen, ok := stamps[k]; !ok || at.After(seen) {
		prices[k], stamps[k] = p, at
	}
	return nil
}

// Start refreshes at once and then every SpotOptions.Refresh until ctx ends (a controller-runtime Runnable).
func (s *Spot) Start(ctx context.Context) error {
	return refresh.Every(ctx, s.clk, s.interval, s.log, "refreshing prices; keeping the prices already loaded", s.Refresh)
}
