package awssim

import (
	"time"
)

type xmlState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xmlPlacement struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneID string `xml:"availabilityZoneId"`
	Tenancy            string `xml:"tenancy"`
}

type xmlGroup struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xmlStateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xmlInstance struct {
	InstanceID            string          `xml:"instanceId"`
	ImageID               string          `xml:"imageId"`
	InstanceState         xmlState        `xml:"instanceState"`
	PrivateDNSName        string          `xml:"privateDnsName"`
	AmiLaunchIndex        int             `xml:"amiLaunchIndex"`
	InstanceType          string          `xml:"instanceType"`
	LaunchTime            string          `xml:"launchTime"`
	Placement             xmlPlacement    `xml:"placement"`
	SubnetID              string          `xml:"subnetId"`
	VpcID                 string          `xml:"vpcId"`
	PrivateIPAddress      string          `xml:"privateIpAddress,omitempty"`
	Groups                []xmlGroup      `xml:"groupSet>item"`
	StateReason           *xmlStateReason `xml:"stateReason,omitempty"`
	Architecture          string          `xml:"architecture"`
	RootDeviceType        string          `xml:"rootDeviceType"`
	RootDeviceName        string          `xml:"rootDeviceName"`
	VirtualizationType    string          `xml:"virtualizationType"`
	Hypervisor            string          `xml:"hypervisor,omitempty"`
	InstanceLifecycle     string          `xml:"instanceLifecycle,omitempty"`
	SpotInstanceRequestID string          `xml:"spotInstanceRequestId,omitempty"`
	Tags                  []xmlTag        `xml:"tagSet>item"`
}

type xmlReservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

type describeInstancesResponse struct {
	Reservations []xmlReservation `xml:"reservationSet>item"`
	NextToken    string           `xml:"nextToken,omitempty"`
}

// launchTimeLayout is how EC2 writes timestamps, which the SDK parses as RFC 3339.
const launchTimeLayout = "2006-01-02T15:04:05.000Z"

// describe renders an instance as DescribeInstances does at now.
func (s *Server) describe(in *instance, now time.Time) xmlInstance {
	state := s.state(in, now)
	out := xmlInstance{
		InstanceID:         in.id,
		ImageID:            in.imageID,
		InstanceState:      xmlState{Code: stateCodes[state], Name: state},
		InstanceType:       in.instanceType,
		LaunchTime:         in.launchedAt.UTC().Format(launchTimeLayout),
		Placement:          xmlPlacement{AvailabilityZone: in.subnet.zone.name, AvailabilityZoneID: in.subnet.zone.id, Tenancy: "default"},
		SubnetID:           in.subnet.id,
		VpcID:              s.vpcID,
		Groups:             []xmlGroup{{GroupID: s.group.id, GroupName: s.group.name}},
		Architecture:       ec2Architecture(in.arch),
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		VirtualizationType: "hvm",
		Hypervisor:         in.hypervisor,
		Tags:               tagSet(in.tags),
	}
	if !in.ipReleased {
		out.PrivateIPAddress = in.ip.String()
		out.PrivateDNSName = s.privateDNSName(in.ip)
	}
	if in.capacityType == "spot" {
		out.InstanceLifecycle = "spot"
		out.SpotInstanceRequestID = in.spotRequestID
	}
	if state == stateShuttingDown || state == stateTerminated {
		out.StateReason = &xmlStateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
	}
	return out
}

func (s *Server) describeInstances(p params, now time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	candidates := s.instances
	if ids := p.strs("InstanceId"); len(ids) > 0 {
		if p.str("MaxResults") != "" {
			return nil, clientError("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
		}
		if candidates, err = s.lookupInstances(ids); err != nil {
			return nil, err
		}
	}
	var matched []*instance
	for _, in := range candidates {
		ok, err := match(filters, in.tags, s.instanceFields(in, now))
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, in)
		}
	}
	start, end, next, err := p.page(len(matched), 1000, 5, 1000)
	if err != nil {
		return nil, err
	}
	resp := &describeInstancesResponse{NextToken: next}
	index := map[string]int{}
	for _, in := range matched[start:end] {
		i, ok := index[in.reservationID]
		if !ok {
			i = len(resp.Reservations)
			index[in.reservationID] = i
			resp.Reservations = append(resp.Reservations, xmlReservation{ReservationID: in.reservationID, OwnerID: accountID})
		}
		resp.Reservations[i].Instances = append(resp.Reservations[i].Instances, s.describe(in, now))
	}
	return resp, nil
}

type xmlStateChange struct {
	InstanceID    string   `xml:"instanceId"`
	CurrentState  xmlState `xml:"currentState"`
	PreviousState xmlState `xml:"previousState"`
}

type terminateInstancesResponse struct {
	Changes []xmlStateChange `xml:"instancesSet>item"`
}

// terminateInstances starts shutting instances down; terminating one again changes nothing.
func (s *Server) terminateInstances(p params, now time.Time) (any, error) {
	ids := p.strs("InstanceId")
	if len(ids) == 0 {
		return nil, clientError("MissingParameter", "The request must contain the parameter InstanceId")
	}
	targets, err := s.lookupInstances(ids)
	if err != nil {
		return nil, err
	}
	resp := &terminateInstancesResponse{}
	previous := make([]string, len(targets))
	for i, in := range targets {
		previous[i] = s.state(in, now)
		if in.terminatingAt.IsZero() {
			in.terminatingAt = now
		}
	}
	s.settle(now)
	for i, in := range targets {
		current := s.state(in, now)
		resp.Changes = append(resp.Changes, xmlStateChange{
			InstanceID:    in.id,
			CurrentState:  xmlState{Code: stateCodes[current], Name: current},
			PreviousState: xmlState{Code: stateCodes[previous[i]], Name: previous[i]},
		})
	}
	return resp, nil
}

type createTagsResponse struct {
	Return bool `xml:"return"`
}

// createTags tags instances, subnets and the security group, all of them or, on any error, none.
func (s *Server) createTags(p params, _ time.Time) (any, error) {
	ids := p.strs("ResourceId")
	if len(ids) == 0 {
		return nil, clientError("MissingParameter", "The request must contain the parameter ResourceId")
	}
	tags, err := p.tags("Tag")
	if err != nil {
		return nil, err
	}
	var targets []map[string]string
	for _, id := range ids {
		target, err := s.taggable(id)
		if err != nil {
			return nil, err
		}
		targets = append(targets, target)
	}
	for _, target := range targets {
		n := len(target)
		for k := range tags {
			if _, ok := target[k]; !ok {
				n++
			}
		}
		if n > maxTags {
			return nil, clientError("TagLimitExceeded", "The maximum number of tags per resource is %d", maxTags)
		}
	}
	for _, target := range targets {
		for k, v := range tags {
			target[k] = v
		}
	}
	return &createTagsResponse{Return: true}, nil
}

// taggable returns the tags of the resource with the given ID.
func (s *Server) taggable(id string) (map[string]string, error) {
	if in, ok := s.byID[id]; ok {
		return in.tags, nil
	}
	if n := s.subnetByID(id); n != nil {
		return n.tags, nil
	}
	if id == s.group.id {
		return s.group.tags, nil
	}
	switch {
	case len(id) > 2 && id[:2] == "i-":
		return nil, clientError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	case len(id) > 7 && id[:7] == "subnet-":
		return nil, clientError("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
	case len(id) > 3 && id[:3] == "sg-":
		return nil, clientError("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return nil, clientError("InvalidID", "The ID '%s' is not valid", id)
}
