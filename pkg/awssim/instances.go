package awssim

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Instance state codes and names, as EC2 reports them.
const (
	statePending      = "pending"
	stateRunning      = "running"
	stateShuttingDown = "shutting-down"
	stateTerminated   = "terminated"
)

var stateCodes = map[string]int{statePending: 0, stateRunning: 16, stateShuttingDown: 32, stateTerminated: 48}

// maxTags is EC2's limit of tags per resource.
const maxTags = 50

// instance is one launched instance. Its state is not stored but derived from the clock (see state).
type instance struct {
	id, reservationID, instanceType, arch, hypervisor, imageID string
	capacityType, spotRequestID                                string
	subnet                                                     *subnet
	ip                                                         netip.Addr
	launchedAt, terminatingAt                                  time.Time
	ipReleased                                                 bool
	tags                                                       map[string]string
	// userData is the base64 user data of the launch template the instance was launched from, for Hooks.
	userData string
	// unjoinable instances never announce that they run (see Server.SetUnjoinable); announcedRunning and
	// announcedTerminated record which transitions Hooks has been told of.
	unjoinable, announcedRunning, announcedTerminated bool
}

// state is the instance's state at now: pending for BootDelay after launch, then running; shutting-down for
// ShutdownDelay after TerminateInstances, then terminated.
func (s *Server) state(in *instance, now time.Time) string {
	switch {
	case in.terminatingAt.IsZero() && now.Before(in.launchedAt.Add(s.opts.BootDelay)):
		return statePending
	case in.terminatingAt.IsZero():
		return stateRunning
	case now.Before(in.terminatingAt.Add(s.opts.ShutdownDelay)):
		return stateShuttingDown
	}
	return stateTerminated
}

// settle applies what time did since the last request: transitions are announced to Hooks, terminated
// instances give their address back, and are forgotten after TerminatedRetention.
func (s *Server) settle(now time.Time) {
	s.instances = slices.DeleteFunc(s.instances, func(in *instance) bool {
		s.announce(in, now)
		if s.state(in, now) != stateTerminated {
			return false
		}
		if !in.ipReleased {
			delete(in.subnet.inUse, in.ip)
			in.ipReleased = true
		}
		terminatedAt := in.terminatingAt.Add(s.opts.ShutdownDelay)
		if now.Before(terminatedAt.Add(s.opts.TerminatedRetention)) {
			return false
		}
		delete(s.byID, in.id)
		return true
	})
}

// privateDNSName is the instance's name in the VPC's DNS, which kubelet uses as its node name on EC2.
func (s *Server) privateDNSName(ip netip.Addr) string {
	name := "ip-" + strings.ReplaceAll(ip.String(), ".", "-")
	if s.region == "us-east-1" {
		return name + ".ec2.internal"
	}
	return name + "." + s.region + ".compute.internal"
}

// lookupInstances resolves instance IDs, failing as EC2 does when any is malformed or unknown.
func (s *Server) lookupInstances(ids []string) ([]*instance, error) {
	var found []*instance
	var missing []string
	for _, id := range ids {
		if !strings.HasPrefix(id, "i-") {
			return nil, clientError("InvalidInstanceID.Malformed", "Invalid id: \"%s\"", id)
		}
		if in, ok := s.byID[id]; ok {
			found = append(found, in)
		} else {
			missing = append(missing, id)
		}
	}
	switch len(missing) {
	case 0:
		return found, nil
	case 1:
		return nil, clientError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", missing[0])
	}
	return nil, clientError("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
}

// instanceFields answers DescribeInstances filters other than tags.
func (s *Server) instanceFields(in *instance, now time.Time) fields {
	return func(name string) ([]string, bool) {
		switch name {
		case "instance-id":
			return []string{in.id}, true
		case "instance-type":
			return []string{in.instanceType}, true
		case "instance-state-name":
			return []string{s.state(in, now)}, true
		case "instance-state-code":
			return []string{fmt.Sprint(stateCodes[s.state(in, now)])}, true
		case "availability-zone":
			return []string{in.subnet.zone.name}, true
		case "subnet-id":
			return []string{in.subnet.id}, true
		case "vpc-id":
			return []string{s.vpcID}, true
		case "image-id":
			return []string{in.imageID}, true
		case "reservation-id":
			return []string{in.reservationID}, true
		case "instance-lifecycle":
			if in.capacityType == "spot" {
				return []string{"spot"}, true
			}
			return nil, true
		case "private-ip-address":
			return []string{in.ip.String()}, true
		}
		return nil, false
	}
}
