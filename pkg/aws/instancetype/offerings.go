package instancetype

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/stevedore-dev/stevedore/pkg/aws/refresh"
)

// ZonalOfferings says which availability zones EC2 sells an instance type in. Not every type is in every zone:
// a launch of a type in a zone without it fails with Unsupported, so the node model must not offer it there.
type ZonalOfferings interface {
	// Offered reports whether EC2 sells the type in the zone (a zone name such as us-east-1a).
	Offered(instanceType, zone string) bool
}

// OfferingsOptions configures an OfferingsSource.
type OfferingsOptions struct {
	// RefreshInterval is how often Start re-reads the offerings; DefaultRefreshInterval when zero.
	RefreshInterval time.Duration
	// Log receives refresh failures and the one notice that every zone is assumed.
	Log logr.Logger
}

// OfferingsSource is a ZonalOfferings backed by DescribeInstanceTypeOfferings by availability zone. Until its
// first successful refresh it offers every type in every zone, as the node model did before it knew better; a
// failed refresh keeps the last good answer. It is safe for concurrent use.
type OfferingsSource struct {
	client   EC2API
	clk      clock.Clock
	interval time.Duration
	log      logr.Logger

	refreshing   sync.Mutex
	mu           sync.RWMutex
	zones        map[string]map[string]bool // instance type -> zones; nil until the first successful refresh
	version      uint64
	fallbackOnce sync.Once
}

var (
	_ ZonalOfferings = (*OfferingsSource)(nil)
	_ Versioned      = (*OfferingsSource)(nil)
)

// NewOfferingsSource returns a source that offers everything everywhere until its first successful Refresh.
func NewOfferingsSource(client EC2API, clk clock.Clock, opts OfferingsOptions) *OfferingsSource {
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	return &OfferingsSource{client: client, clk: clk, interval: opts.RefreshInterval, log: opts.Log}
}

// Offered reports whether EC2 last listed the type in the zone; true for everything before EC2 has answered.
func (s *OfferingsSource) Offered(instanceType, zone string) bool {
	s.mu.RLock()
	zones := s.zones
	s.mu.RUnlock()
	if zones == nil {
		s.fallbackOnce.Do(func() {
			s.log.Info("zonal offerings not yet read from EC2; offering every type in every zone")
		})
		return true
	}
	return zones[instanceType][zone]
}

// Version changes whenever a refresh changes the offerings.
func (s *OfferingsSource) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// Refresh reads the offerings of every type in every zone of the region and replaces the last answer. On error
// the last answer is kept.
func (s *OfferingsSource) Refresh(ctx context.Context) error {
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	zones := map[string]map[string]bool{}
	pages := ec2.NewDescribeInstanceTypeOfferingsPaginator(s.client, &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: ec2types.LocationTypeAvailabilityZone,
		MaxResults:   aws.Int32(1000),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describing instance type offerings: %w", err)
		}
		for _, o := range page.InstanceTypeOfferings {
			name := string(o.InstanceType)
			if zones[name] == nil {
				zones[name] = map[string]bool{}
			}
			zones[name][aws.ToString(o.Location)] = true
		}
	}
	if len(zones) == 0 {
		// An empty answer is far likelier a broken call than a region that sells nothing; offering nothing
		// would stop every launch.
		return errors.New("describing instance type offerings: no offering in any zone")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !maps.EqualFunc(zones, s.zones, maps.Equal) {
		s.zones = zones
		s.version++
	}
	return nil
}

// Start refreshes at once and then every RefreshInterval until ctx ends (a controller-runtime Runnable).
func (s *OfferingsSource) Start(ctx context.Context) error {
	return refresh.Every(ctx, s.clk, s.interval, s.log, "refreshing from EC2; keeping the data already loaded", s.Refresh)
}
