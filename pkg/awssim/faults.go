package awssim

import (
	"net/http"
	"strings"
	"time"
)

// Unjoinable makes instances run in EC2 without ever firing Hooks.InstanceRunning, as an instance whose kubelet
// never registers a Node would.
type Unjoinable struct {
	// InstanceType limits the fault to one instance type; empty means any.
	InstanceType string `json:"instanceType,omitempty"`
	// Count is how many of the next launched instances (of InstanceType, when set) are unjoinable.
	Count int `json:"count"`
}

// initFaults sets the faults and hooks that Options asks for from the start.
func (s *Server) initFaults() {
	s.notifier = &notifier{hooks: s.opts.Hooks}
	s.latency = max(s.opts.Latency, 0)
	s.unjoinable = map[string]int{}
	s.clientTokens = map[string]*clientToken{}
	for _, u := range s.opts.Unjoinable {
		if u.Count > 0 {
			s.unjoinable[u.InstanceType] += u.Count
		}
	}
}

// SetLatency delays every later request to a simulated service, but not admin requests, by d before it is
// answered; 0 or less removes the delay.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// SetUnjoinable makes the next count launched instances of instanceType, or of any type when instanceType is
// empty, unjoinable: they run in EC2 but never fire Hooks.InstanceRunning, which simulates an instance that never
// becomes a Node. It replaces the count set before for the same instanceType; 0 clears it. An instance uses up
// the count of its own type before the count for any type.
func (s *Server) SetUnjoinable(instanceType string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if count <= 0 {
		delete(s.unjoinable, instanceType)
		return
	}
	s.unjoinable[instanceType] = count
}

// takeUnjoinable reports whether the instance of instanceType being launched is unjoinable, using up one of
// the count; it runs with s.mu held.
func (s *Server) takeUnjoinable(instanceType string) bool {
	for _, key := range []string{instanceType, ""} {
		if n := s.unjoinable[key]; n > 0 {
			if n == 1 {
				delete(s.unjoinable, key)
			} else {
				s.unjoinable[key] = n - 1
			}
			return true
		}
	}
	return false
}

// delay holds an EC2 request for the latency in force, or until the client gives up. Admin requests are never
// delayed, so that a simulator made slow can always be inspected and repaired.
func (s *Server) delay(r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		return
	}
	s.mu.Lock()
	d := s.latency
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
