package awssim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
)

// accountID owns every simulated resource.
const accountID = "123456789012"

// maxRequestBytes bounds a request body; the largest real EC2 requests are far smaller.
const maxRequestBytes = 1 << 20

// Options configures a Server. The zero value is a usable us-east-1 with three zones.
type Options struct {
	// Region is the simulated region; us-east-1 when empty. On-demand prices come from the catalog's prices for
	// it, so a region the catalog has no prices for has no prices and no spot prices.
	Region string
	// Zones are the availability zones, at most 16; <Region>a, b and c when empty.
	Zones []string
	// ClusterName is the value of the stevedore.dev/discovery tag on the subnets and the security group;
	// sandbox when empty.
	ClusterName string
	// Seed makes resource IDs and spot prices reproducible: two servers with the same options answer the same
	// requests with the same IDs and prices.
	Seed int64
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// BootDelay is how long an instance stays pending before it runs.
	BootDelay time.Duration
	// ShutdownDelay is how long a terminated instance stays shutting-down before it is terminated.
	ShutdownDelay time.Duration
	// TerminatedRetention is how long a terminated instance stays visible to DescribeInstances; one hour when
	// zero, as on EC2, and not at all when negative.
	TerminatedRetention time.Duration
	// Capacity limits the capacity of some pools from the start; see Server.SetCapacity.
	Capacity []CapacityLimit
	// ThrottleEveryNth makes every Nth request fail with RequestLimitExceeded; 0 never does. See
	// Server.SetThrottle.
	ThrottleEveryNth int
	// Latency delays every request but admin ones; see Server.SetLatency.
	Latency time.Duration
	// Unjoinable makes some of the first launched instances unjoinable; see Server.SetUnjoinable.
	Unjoinable []Unjoinable
	// Hooks, when set, is told of every instance reaching running or terminated; see Hooks.
	Hooks Hooks
	// SettleInterval is how often Run settles state; 250ms when zero.
	SettleInterval time.Duration
}

// CapacityLimit is how many more instances of one pool may be launched.
type CapacityLimit struct {
	// InstanceType is the pool's instance type, for example m5.large.
	InstanceType string
	// Zone is the pool's availability zone, for example us-east-1a.
	Zone string
	// CapacityType is on-demand or spot.
	CapacityType string
	// Count is how many more instances may be launched from the pool.
	Count int
}

// pool identifies the capacity of one instance type in one zone for one capacity type.
type pool struct{ instanceType, zone, capacityType string }

// Server is a simulated EC2 endpoint. It is an http.Handler, safe for concurrent use; Start serves it on a
// loopback port.
type Server struct {
	opts   Options
	region string
	zones  []zone
	vpcID  string
	// types is the catalog, sorted by name; typeIndex maps a name to its position.
	types     []instancetype.Facts
	typeIndex map[string]int
	prices    map[string]float64

	mu            sync.Mutex
	rng           *rand.Rand
	requests      int
	throttleEvery int
	capacity      map[pool]int
	subnets       []*subnet
	group         *securityGroup
	instances     []*instance
	byID          map[string]*instance
	templates     []*launchTemplate
	images        []*image
	// notifier, latency, unjoinable and clientTokens belong to hooks.go, faults.go and runinstances.go.
	notifier     *notifier
	latency      time.Duration
	unjoinable   map[string]int
	clientTokens map[string]*clientToken
	// parameters, products and iam belong to ssm.go, pricing.go and iam.go; each is built on first use.
	parameters map[string]*ssmParameter
	products   []*priceProduct
	iam        *iamState
}

// New returns a Server with the given options, its VPC, subnets and security group already created.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if len(opts.Zones) == 0 {
		opts.Zones = []string{opts.Region + "a", opts.Region + "b", opts.Region + "c"}
	}
	if len(opts.Zones) > maxZones {
		opts.Zones = opts.Zones[:maxZones]
	}
	if opts.ClusterName == "" {
		opts.ClusterName = "sandbox"
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.TerminatedRetention == 0 {
		opts.TerminatedRetention = time.Hour
	}
	prices, _, _ := catalog.OnDemandPrices(opts.Region)
	s := &Server{
		opts:          opts,
		region:        opts.Region,
		types:         catalog.InstanceTypes(),
		typeIndex:     map[string]int{},
		prices:        prices,
		rng:           rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)), // reproducible IDs, not secret ones
		throttleEvery: opts.ThrottleEveryNth,
		capacity:      map[pool]int{},
		byID:          map[string]*instance{},
		images:        publicImages(opts.Region),
	}
	for i, t := range s.types {
		s.typeIndex[t.Name] = i
	}
	for _, c := range opts.Capacity {
		s.capacity[pool{c.InstanceType, c.Zone, c.CapacityType}] = c.Count
	}
	s.createNetwork()
	s.initFaults()
	return s
}

// SetCapacity limits how many more instances of instanceType may be launched in zone with capacityType
// (on-demand or spot); a launch beyond the limit fails with InsufficientInstanceCapacity. A negative n removes
// the limit. Terminating instances does not raise the limit again.
func (s *Server) SetCapacity(instanceType, zone, capacityType string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := pool{instanceType, zone, capacityType}
	if n < 0 {
		delete(s.capacity, key)
		return
	}
	s.capacity[key] = n
}

// SetThrottle makes every everyNth request, counted from now, fail with RequestLimitExceeded; 0 or less stops
// throttling.
func (s *Server) SetThrottle(everyNth int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleEvery = max(everyNth, 0)
	s.requests = 0
}

// handler answers one action; it runs with s.mu held.
type handler func(s *Server, p params, now time.Time) (any, error)

var handlers = map[string]handler{
	"DescribeAvailabilityZones":      (*Server).describeAvailabilityZones,
	"DescribeInstanceTypes":          (*Server).describeInstanceTypes,
	"DescribeInstanceTypeOfferings":  (*Server).describeInstanceTypeOfferings,
	"DescribeSubnets":                (*Server).describeSubnets,
	"DescribeSecurityGroups":         (*Server).describeSecurityGroups,
	"CreateFleet":                    (*Server).createFleet,
	"DescribeInstances":              (*Server).describeInstances,
	"TerminateInstances":             (*Server).terminateInstances,
	"CreateTags":                     (*Server).createTags,
	"CreateLaunchTemplate":           (*Server).createLaunchTemplate,
	"DescribeLaunchTemplates":        (*Server).describeLaunchTemplates,
	"DeleteLaunchTemplate":           (*Server).deleteLaunchTemplate,
	"DescribeImages":                 (*Server).describeImages,
	"DescribeSpotPriceHistory":       (*Server).describeSpotPriceHistory,
	"RunInstances":                   (*Server).runInstances,
	"DescribeLaunchTemplateVersions": (*Server).describeLaunchTemplateVersions,
}

// ServeHTTP answers one request: to the JSON admin API under /admin/; for SSM or the Price List API, in their
// JSON 1.1 protocol, when it has an X-Amz-Target header; otherwise an EC2 or IAM query request, told apart by
// the Action, since no EC2 action shares its name with an IAM one.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.delay(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		if !s.serviceAdmin(w, r) {
			s.serveAdmin(w, r)
		}
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveJSON(w, r, target)
		return
	}
	err := r.ParseForm()
	if h, ok := iamAction(r.Form.Get("Action")); ok {
		s.serveIAM(w, params(r.Form), r.Form.Get("Action"), h, err)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	requestID := s.uuid()
	fail := func(e *apiError) {
		writeXML(w, e.status, errorResponse{Code: e.code, Message: e.message, RequestID: requestID})
	}
	if s.throttled() {
		fail(&apiError{status: http.StatusServiceUnavailable, code: "RequestLimitExceeded", message: "Request limit exceeded."})
		return
	}
	if err != nil {
		fail(clientError("MalformedQueryString", "The request could not be parsed: %v", err))
		return
	}
	p := params(r.Form)
	action := p.str("Action")
	h, ok := handlers[action]
	if !ok {
		fail(clientError("InvalidAction", "The action %q is not valid for this web service.", action))
		return
	}
	now := s.opts.Clock()
	s.settle(now)
	resp, err := h(s, p, now)
	if err != nil {
		var e *apiError
		if !errors.As(err, &e) {
			e = &apiError{status: http.StatusInternalServerError, code: "InternalError", message: err.Error()}
		}
		fail(e)
		return
	}
	env, err := wrap(action, requestID, resp)
	if err != nil {
		fail(&apiError{status: http.StatusInternalServerError, code: "InternalError", message: err.Error()})
		return
	}
	writeXML(w, http.StatusOK, env)
}

// Start serves s on addr, 127.0.0.1:0 (any free port) when empty, and returns its base URL and a function that
// stops it. It listens only on loopback addresses, since the server accepts any credentials; serve s with your
// own listener to expose it further.
func (s *Server) Start(addr string) (url string, stop func(), err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("parsing listen address %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("listening on %s: only loopback addresses are allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // always ErrServerClosed after stop
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// hexID returns prefix-<17 hex digits>, the shape of EC2 resource IDs.
func (s *Server) hexID(prefix string) string {
	return fmt.Sprintf("%s-%017x", prefix, s.rng.Uint64())
}

// uuid returns a random, seeded UUID-shaped string for request and fleet IDs.
func (s *Server) uuid() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// capacityTypeOf validates a capacity type.
func capacityTypeOf(v string) (string, error) {
	switch strings.ToLower(v) {
	case "on-demand":
		return "on-demand", nil
	case "spot":
		return "spot", nil
	}
	return "", clientError("InvalidParameterValue", "The capacity type '%s' is invalid; use on-demand or spot.", v)
}
