package awssim

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// adminPrefix is the path under which the JSON admin API is served; EC2 requests go to /.
const adminPrefix = "/admin/"

// AdminState is the body of GET /admin/state: a summary of the simulated world at the time of the request.
type AdminState struct {
	// Region is the simulated region.
	Region string `json:"region"`
	// ClusterName is the value of the discovery tag on the subnets and the security group.
	ClusterName string `json:"clusterName"`
	// Time is the simulator's clock, in RFC 3339.
	Time string `json:"time"`
	// States counts the visible instances by state.
	States map[string]int `json:"states"`
	// Instances are the visible instances, in launch order.
	Instances []AdminInstance `json:"instances"`
	// Capacity are the limited pools, sorted, with how many more instances each may launch.
	Capacity []CapacityLimit `json:"capacity"`
	// ThrottleEveryNth is the throttling in force; 0 when none.
	ThrottleEveryNth int `json:"throttleEveryNth"`
	// LaunchTemplates are the names of the launch templates.
	LaunchTemplates []string `json:"launchTemplates"`
	// Latency is the delay added to every EC2 request, as a Go duration such as 250ms.
	Latency string `json:"latency"`
	// Unjoinable are the counts of launches still to be made unjoinable, sorted by instance type, the empty
	// type (any) first.
	Unjoinable []Unjoinable `json:"unjoinable"`
}

// AdminInstance summarises one instance in AdminState.
type AdminInstance struct {
	// ID is the instance ID.
	ID string `json:"id"`
	// InstanceType is the instance type.
	InstanceType string `json:"instanceType"`
	// Zone is the availability zone.
	Zone string `json:"zone"`
	// CapacityType is on-demand or spot.
	CapacityType string `json:"capacityType"`
	// State is the instance state name, such as running.
	State string `json:"state"`
	// PrivateIP is the private address, empty once it is released.
	PrivateIP string `json:"privateIp,omitempty"`
	// Tags are the instance's tags.
	Tags map[string]string `json:"tags"`
	// Unjoinable is true for an instance that never fires the running hook.
	Unjoinable bool `json:"unjoinable,omitempty"`
}

// AdminCapacity is the body of POST /admin/capacity; see Server.SetCapacity.
type AdminCapacity struct {
	// InstanceType is the pool's instance type.
	InstanceType string `json:"instanceType"`
	// Zone is the pool's availability zone.
	Zone string `json:"zone"`
	// CapacityType is on-demand or spot.
	CapacityType string `json:"capacityType"`
	// Count is how many more instances may be launched; negative removes the limit.
	Count int `json:"count"`
}

// AdminThrottle is the body of POST /admin/throttle; see Server.SetThrottle.
type AdminThrottle struct {
	// EveryNth makes every Nth request fail with RequestLimitExceeded; 0 stops throttling.
	EveryNth int `json:"everyNth"`
}

// AdminLatency is the body of POST /admin/latency; see Server.SetLatency.
type AdminLatency struct {
	// Latency is a Go duration such as 250ms; 0s removes the delay.
	Latency string `json:"latency"`
}

// serveAdmin answers the JSON admin API. Admin requests are never throttled and do not count towards
// throttling.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimPrefix(r.URL.Path, adminPrefix)
	want := map[string]string{
		"state": http.MethodGet, "capacity": http.MethodPost, "throttle": http.MethodPost,
		"latency": http.MethodPost, "unjoinable": http.MethodPost,
	}[route]
	switch {
	case want == "":
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no admin endpoint " + r.URL.Path})
		return
	case r.Method != want:
		w.Header().Set("Allow", want)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": r.URL.Path + " accepts only " + want})
		return
	}
	var err error
	switch route {
	case "state":
		writeJSON(w, http.StatusOK, s.adminState())
		return
	case "capacity":
		var c AdminCapacity
		if err = decodeJSON(r.Body, &c); err == nil {
			err = s.adminSetCapacity(c)
		}
	case "throttle":
		var t AdminThrottle
		if err = decodeJSON(r.Body, &t); err == nil {
			s.SetThrottle(t.EveryNth)
		}
	case "latency":
		var l AdminLatency
		if err = decodeJSON(r.Body, &l); err == nil {
			err = s.adminSetLatency(l)
		}
	case "unjoinable":
		var u Unjoinable
		if err = decodeJSON(r.Body, &u); err == nil {
			err = s.adminSetUnjoinable(u)
		}
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, s.adminState())
}

// decodeJSON reads one JSON object, rejecting unknown fields so that typos do not pass silently.
func decodeJSON(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding request body: %w", err)
	}
	return nil
}

// adminSetCapacity validates a pool before limiting it, since a typo would otherwise limit nothing.
func (s *Server) adminSetCapacity(c AdminCapacity) error {
	if _, ok := s.typeIndex[c.InstanceType]; !ok {
		return fmt.Errorf("unknown instance type %q", c.InstanceType)
	}
	if _, ok := s.zoneByName(c.Zone); !ok {
		return fmt.Errorf("unknown zone %q", c.Zone)
	}
	capacityType, err := capacityTypeOf(c.CapacityType)
	if err != nil {
		var e *apiError
		if errors.As(err, &e) {
			return errors.New(e.message)
		}
		return err
	}
	s.SetCapacity(c.InstanceType, c.Zone, capacityType, c.Count)
	return nil
}

// adminSetLatency parses the latency, rejecting a negative one rather than silently treating it as none.
func (s *Server) adminSetLatency(l AdminLatency) error {
	d, err := time.ParseDuration(l.Latency)
	if err != nil {
		return fmt.Errorf("parsing latency: %w", err)
	}
	if d < 0 {
		return fmt.Errorf("latency %s is negative; use 0s to remove it", d)
	}
	s.SetLatency(d)
	return nil
}

// adminSetUnjoinable validates the instance type, since a typo would otherwise make nothing unjoinable.
func (s *Server) adminSetUnjoinable(u Unjoinable) error {
	if _, ok := s.typeIndex[u.InstanceType]; u.InstanceType != "" && !ok {
		return fmt.Errorf("unknown instance type %q", u.InstanceType)
	}
	if u.Count < 0 {
		return fmt.Errorf("count %d is negative; use 0 to clear the fault", u.Count)
	}
	s.SetUnjoinable(u.InstanceType, u.Count)
	return nil
}

// adminState summarises the world at the simulator's current time.
func (s *Server) adminState() AdminState {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock()
	s.settle(now)
	out := AdminState{
		Region:           s.region,
		ClusterName:      s.opts.ClusterName,
		Time:             now.UTC().Format(launchTimeLayout),
		States:           map[string]int{},
		Instances:        []AdminInstance{},
		Capacity:         []CapacityLimit{},
		ThrottleEveryNth: s.throttleEvery,
		LaunchTemplates:  []string{},
		Latency:          s.latency.String(),
		Unjoinable:       []Unjoinable{},
	}
	for _, in := range s.instances {
		state := s.state(in, now)
		out.States[state]++
		ai := AdminInstance{
			ID: in.id, InstanceType: in.instanceType, Zone: in.subnet.zone.name, CapacityType: in.capacityType,
			State: state, Tags: maps.Clone(in.tags), Unjoinable: in.unjoinable,
		}
		if !in.ipReleased {
			ai.PrivateIP = in.ip.String()
		}
		out.Instances = append(out.Instances, ai)
	}
	for p, n := range s.capacity {
		out.Capacity = append(out.Capacity, CapacityLimit{InstanceType: p.instanceType, Zone: p.zone, CapacityType: p.capacityType, Count: n})
	}
	slices.SortFunc(out.Capacity, func(a, b CapacityLimit) int {
		return cmp.Or(cmp.Compare(a.InstanceType, b.InstanceType), cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.CapacityType, b.CapacityType))
	})
	for t, n := range s.unjoinable {
		out.Unjoinable = append(out.Unjoinable, Unjoinable{InstanceType: t, Count: n})
	}
	slices.SortFunc(out.Unjoinable, func(a, b Unjoinable) int { return cmp.Compare(a.InstanceType, b.InstanceType) })
	for _, lt := range s.templates {
		out.LaunchTemplates = append(out.LaunchTemplates, lt.name)
	}
	return out
}

// writeJSON writes v as an indented JSON response, easy to read with curl.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
