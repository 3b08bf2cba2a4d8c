package awssim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Hooks learns of instance transitions as they happen, so that something beside the simulator (the sandbox,
// say) can create a Node when an instance starts running and remove it when the instance terminates. Each
// method is called once per instance and transition, in the order the transitions happened, from a single
// goroutine and never with the simulator's lock held: a slow hook delays the hooks after it, not requests.
type Hooks interface {
	// InstanceRunning is called when an instance reaches running. Instances launched while the unjoinable
	// fault is set never call it.
	InstanceRunning(Instance)
	// InstanceTerminated is called when an instance reaches terminated, whether or not it ever ran.
	InstanceTerminated(Instance)
}

// Instance describes a simulated instance to Hooks.
type Instance struct {
	// ID is the instance ID.
	ID string `json:"id"`
	// InstanceType is the instance type, for example m5.large.
	InstanceType string `json:"instanceType"`
	// Zone is the availability zone.
	Zone string `json:"zone"`
	// SubnetID is the subnet the instance was launched in.
	SubnetID string `json:"subnetId"`
	// PrivateIP is the instance's private address; it is reported even once the address has been released.
	PrivateIP string `json:"privateIp"`
	// PrivateDNSName is the instance's name in the VPC's DNS, the name kubelet registers its Node under.
	PrivateDNSName string `json:"privateDnsName"`
	// ImageID is the image the instance runs.
	ImageID string `json:"imageId"`
	// CapacityType is on-demand or spot.
	CapacityType string `json:"capacityType"`
	// LaunchTime is when the instance was launched.
	LaunchTime time.Time `json:"launchTime"`
	// Tags are the instance's tags at the time of the transition.
	Tags map[string]string `json:"tags"`
	// UserData is the user data of the launch template the instance was launched from, decoded from base64, as
	// the instance would read it from its metadata service: what a kubelet stand-in learns its node's labels,
	// taints and kubelet settings from. It is empty for an instance launched without a template or from one
	// with no user data.
	UserData string `json:"userData,omitempty"`
}

// Event names of the transitions, as the HTTP hook posts them.
const (
	// EventRunning is posted when an instance reaches running.
	EventRunning = "running"
	// EventTerminated is posted when an instance reaches terminated.
	EventTerminated = "terminated"
)

// defaultSettleInterval is how often Run settles state when Options.SettleInterval is zero.
const defaultSettleInterval = 250 * time.Millisecond

// event is one transition waiting to be delivered.
type event struct {
	name     string
	instance Instance
}

// notifier delivers events to Hooks in order from one goroutine at a time, started when events arrive and
// ending when none are left, so that an idle server holds no goroutine.
type notifier struct {
	hooks Hooks

	mu       sync.Mutex
	queue    []event
	draining bool
}

// push queues events without blocking; it is called with the server's lock held.
func (n *notifier) push(e event) {
	if n.hooks == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.queue = append(n.queue, e)
	if !n.draining {
		n.draining = true
		go n.drain()
	}
}

func (n *notifier) drain() {
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.draining = false
			n.queue = nil
			n.mu.Unlock()
			return
		}
		e := n.queue[0]
		n.queue = n.queue[1:]
		n.mu.Unlock()
		switch e.name {
		case EventRunning:
			n.hooks.InstanceRunning(e.instance)
		case EventTerminated:
			n.hooks.InstanceTerminated(e.instance)
		}
	}
}

// announce queues the hooks of the transitions in has made by now that were not announced yet. An instance
// terminated while it was pending never ran, so it only announces its termination.
func (s *Server) announce(in *instance, now time.Time) {
	state := s.state(in, now)
	ranAt := in.launchedAt.Add(s.opts.BootDelay)
	ran := state == stateRunning || (!in.terminatingAt.IsZero() && !in.terminatingAt.Before(ranAt))
	if ran && !in.announcedRunning {
		in.announcedRunning = true
		if !in.unjoinable {
			s.notifier.push(event{name: EventRunning, instance: s.public(in)})
		}
	}
	if state == stateTerminated && !in.announcedTerminated {
		in.announcedTerminated = true
		s.notifier.push(event{name: EventTerminated, instance: s.public(in)})
	}
}

// public is the Hooks view of an instance.
func (s *Server) public(in *instance) Instance {
	return Instance{
		ID:             in.id,
		InstanceType:   in.instanceType,
		Zone:           in.subnet.zone.name,
		SubnetID:       in.subnet.id,
		PrivateIP:      in.ip.String(),
		PrivateDNSName: s.privateDNSName(in.ip),
		ImageID:        in.imageID,
		CapacityType:   in.capacityType,
		LaunchTime:     in.launchedAt.UTC(),
		Tags:           maps.Clone(in.tags),
		UserData:       decodeUserData(in.userData),
	}
}

// decodeUserData decodes a launch template's user data; CreateLaunchTemplate already refused bad base64, so
// anything undecodable is reported as no user data.
func decodeUserData(encoded string) string {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return ""
	}
	return string(raw)
}

// Settle applies what time did by the simulator's clock, as every request does first, and queues the hooks
// of the transitions. Run calls it on a ticker so that instances change state, and hooks fire, without
// requests.
func (s *Server) Settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.opts.Clock())
}

// Run settles state every Options.SettleInterval until ctx is cancelled, so that an instance booting with no
// requests arriving still reaches running and fires its hook. It returns nil once ctx is cancelled.
func (s *Server) Run(ctx context.Context) error {
	interval := s.opts.SettleInterval
	if interval <= 0 {
		interval = defaultSettleInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		s.Settle()
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// HTTPHook is a Hooks that posts each transition as JSON, {"event": "running" or "terminated", "instance":
// {...}}, to a URL, for a sandbox running in another process. A post that fails, or is answered with a status
// other than 2xx, is retried with doubling backoff; after Attempts attempts the event is logged and dropped,
// so one unreachable receiver does not hold back the simulator's later events forever.
type HTTPHook struct {
	// URL receives the posts.
	URL string
	// Client sends them; http.DefaultClient when nil.
	Client *http.Client
	// Attempts is how many times a post is tried; 5 when zero.
	Attempts int
	// Backoff is the wait after the first failed attempt, doubling after each further one; 100ms when zero.
	Backoff time.Duration
	// Timeout bounds each attempt; 10s when zero.
	Timeout time.Duration
	// Log reports dropped events.
	Log logr.Logger
}

// HTTPHookEvent is the body HTTPHook posts.
type HTTPHookEvent struct {
	// Event is EventRunning or EventTerminated.
	Event string `json:"event"`
	// Instance is the instance that made the transition.
	Instance Instance `json:"instance"`
}

var _ Hooks = (*HTTPHook)(nil)

// InstanceRunning posts a running event.
func (h *HTTPHook) InstanceRunning(in Instance) { h.post(EventRunning, in) }

// InstanceTerminated posts a terminated event.
func (h *HTTPHook) InstanceTerminated(in Instance) { h.post(EventTerminated, in) }

func (h *HTTPHook) post(name string, in Instance) {
	body, err := json.Marshal(HTTPHookEvent{Event: name, Instance: in})
	if err != nil {
		h.Log.Error(err, "Dropping hook event", "event", name, "instance", in.ID)
		return
	}
	attempts := cmp.Or(h.Attempts, 5)
	backoff := cmp.Or(h.Backoff, 100*time.Millisecond)
	for attempt := 1; ; attempt++ {
		if err = h.send(body); err == nil {
			return
		}
		if attempt >= attempts {
			break
		}
		time.Sleep(backoff)
		backoff *= 2
	}
	h.Log.Error(err, "Dropping hook event", "event", name, "instance", in.ID, "url", h.URL, "attempts", attempts)
}

// send makes one attempt at posting body.
func (h *HTTPHook) send(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(h.Timeout, 10*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("posting to %s: %w", h.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("posting to %s: %w", h.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // so the connection can be reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("posting to %s: %s", h.URL, resp.Status)
	}
	return nil
}
