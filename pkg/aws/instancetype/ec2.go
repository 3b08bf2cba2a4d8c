package instancetype

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/stevedore-dev/stevedore/pkg/aws/refresh"
)

// EC2API is the part of the EC2 client the EC2-backed sources call.
type EC2API interface {
	DescribeInstanceTypes(context.Context, *ec2.DescribeInstanceTypesInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error)
	DescribeInstanceTypeOfferings(context.Context, *ec2.DescribeInstanceTypeOfferingsInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
}

// EC2Options configures an EC2Source.
type EC2Options struct {
	// RefreshInterval is how often Start re-reads the types; DefaultRefreshInterval when zero.
	RefreshInterval time.Duration
	// Fallback is served until the first DescribeInstanceTypes succeeds (callers pass the embedded catalog's
	// types). It also supplies what the API does not say: a type's branch interfaces and the EKS AMI's published
	// max pods.
	Fallback []Facts
	// Log receives refresh failures and the one notice that the fallback is in use.
	Log logr.Logger
}

// EC2Source is a FactsSource backed by DescribeInstanceTypes. Reads are served from memory and never wait for
// the network: Refresh (or the Start loop) replaces the list, and a failed refresh keeps the last good one. It is
// safe for concurrent use.
type EC2Source struct {
	client   EC2API
	clk      clock.Clock
	interval time.Duration
	log      logr.Logger
	fallback []Facts
	known    map[string]Facts

	refreshing   sync.Mutex // one refresh at a time, so an older answer never replaces a newer one
	mu           sync.RWMutex
	facts        []Facts // nil until the first successful refresh
	version      uint64
	fallbackOnce sync.Once
}

var (
	_ FactsSource = (*EC2Source)(nil)
	_ Versioned   = (*EC2Source)(nil)
)

// NewEC2Source returns a source that serves opts.Fallback until its first successful Refresh.
func NewEC2Source(client EC2API, clk clock.Clock, opts EC2Options) *EC2Source {
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	known := make(map[string]Facts, len(opts.Fallback))
	for _, f := range opts.Fallback {
		known[f.Name] = f
	}
	return &EC2Source{client: client, clk: clk, interval: opts.RefreshInterval, log: opts.Log,
		fallback: cloneFacts(opts.Fallback), known: known}
}

// InstanceTypes returns the types EC2 last listed, sorted by name, or the fallback before EC2 has answered. The
// result is a copy the caller may modify.
func (s *EC2Source) InstanceTypes(context.Context) ([]Facts, error) {
	s.mu.RLock()
	facts := s.facts
	s.mu.RUnlock()
	if facts == nil {
		s.fallbackOnce.Do(func() {
			s.log.Info("instance types not yet read from EC2; using the embedded catalog")
		})
		facts = s.fallback
	}
	return cloneFacts(facts), nil
}

// Version changes whenever a refresh changes the list, so callers can tell when derived data is stale.
func (s *EC2Source) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// Refresh reads every instance type from EC2 and replaces the list. On error the list is left as it was.
func (s *EC2Source) Refresh(ctx context.Context) error {
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	var facts []Facts
	pages := ec2.NewDescribeInstanceTypesPaginator(s.client, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describing instance types: %w", err)
		}
		for i := range page.InstanceTypes {
			if f, ok := factsFromEC2(&page.InstanceTypes[i], s.known); ok {
				facts = append(facts, f)
			}
		}
	}
	if len(facts) == 0 {
		return errors.New("describing instance types: no amd64 or arm64 type in the answer")
	}
	slices.SortFunc(facts, func(a, b Facts) int { return strings.Compare(a.Name, b.Name) })
	facts = slices.CompactFunc(facts, func(a, b Facts) bool { return a.Name == b.Name })
	s.mu.Lock()
	defer s.mu.Unlock()
	if !reflect.DeepEqual(facts, s.facts) {
		s.facts = facts
		s.version++
	}
	return nil
}

// Start refreshes at once and then every RefreshInterval until ctx ends (a controller-runtime Runnable). It
// returns nil when ctx ends; failures are logged, not returned.
func (s *EC2Source) Start(ctx context.Context) error {
	return refresh.Every(ctx, s.clk, s.interval, s.log, "refreshing from EC2; keeping the data already loaded", s.Refresh)
}

// cloneFacts copies facts deeply, accelerators included.
func cloneFacts(facts []Facts) []Facts {
	out := slices.Clone(facts)
	for i := range out {
		if g := out[i].GPU; g != nil {
			c := *g
			out[i].GPU = &c
		}
		if a := out[i].Accelerator; a != nil {
			c := *a
			out[i].Accelerator = &c
		}
	}
	return out
}
