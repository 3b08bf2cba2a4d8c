package awssim

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// override is one LaunchTemplateConfigs.N.Overrides.M of a CreateFleet request, resolved.
type override struct {
	config                                launchTemplateRef
	template                              *launchTemplate
	instanceType, subnetID, zone, imageID string
	priority                              *float64
	askedZone                             string
	price                                 float64
	order                                 int
	subnet                                *subnet
}

// launchTemplateRef is a LaunchTemplateSpecification, echoed back with both the ID and the name of the
// template it resolved to.
type launchTemplateRef struct{ id, name, version string }

type xmlLaunchTemplateSpec struct {
	LaunchTemplateID   string `xml:"launchTemplateId,omitempty"`
	LaunchTemplateName string `xml:"launchTemplateName,omitempty"`
	Version            string `xml:"version,omitempty"`
}

type xmlOverrides struct {
	InstanceType     string   `xml:"instanceType"`
	SubnetID         string   `xml:"subnetId"`
	AvailabilityZone string   `xml:"availabilityZone"`
	ImageID          string   `xml:"imageId,omitempty"`
	Priority         *float64 `xml:"priority,omitempty"`
}

type xmlLaunchTemplateAndOverrides struct {
	LaunchTemplateSpecification xmlLaunchTemplateSpec `xml:"launchTemplateSpecification"`
	Overrides                   xmlOverrides          `xml:"overrides"`
}

type xmlFleetInstance struct {
	InstanceIDs                []string                      `xml:"instanceIds>item"`
	InstanceType               string                        `xml:"instanceType"`
	LaunchTemplateAndOverrides xmlLaunchTemplateAndOverrides `xml:"launchTemplateAndOverrides"`
	Lifecycle                  string                        `xml:"lifecycle"`
}

type xmlFleetError struct {
	ErrorCode                  string                        `xml:"errorCode"`
	ErrorMessage               string                        `xml:"errorMessage"`
	LaunchTemplateAndOverrides xmlLaunchTemplateAndOverrides `xml:"launchTemplateAndOverrides"`
	Lifecycle                  string                        `xml:"lifecycle"`
}

type createFleetResponse struct {
	FleetID   string             `xml:"fleetId"`
	Errors    []xmlFleetError    `xml:"errorSet>item"`
	Instances []xmlFleetInstance `xml:"fleetInstanceSet>item"`
}

func (o *override) xml() xmlLaunchTemplateAndOverrides {
	return xmlLaunchTemplateAndOverrides{
		LaunchTemplateSpecification: xmlLaunchTemplateSpec{
			LaunchTemplateID: o.config.id, LaunchTemplateName: o.config.name, Version: o.config.version,
		},
		// The zone is filled in from the subnet when the request left it out, so callers always learn it.
		Overrides: xmlOverrides{
			InstanceType: o.instanceType, SubnetID: o.subnetID, AvailabilityZone: o.zone, ImageID: o.imageID,
			Priority: o.priority,
		},
	}
}

// createFleet launches an instant fleet: TotalTargetCapacity instances, each from the first override, by lowest
// priority then lowest price, whose pool has capacity and whose subnet has a free address. Pools that ran out
// are reported in the error set, as EC2 does, even when another override made up for them.
func (s *Server) createFleet(p params, now time.Time) (any, error) {
	if t := p.str("Type"); t != "instant" {
		return nil, clientError("UnsupportedOperation", "Only instant fleets are simulated; got Type %q.", t)
	}
	token, request := p.str("ClientToken"), idempotencyKey(p)
	if prior, ok := s.clientTokens["CreateFleet/"+token]; ok && token != "" {
		if prior.request != request {
			return nil, clientError("IdempotentParameterMismatch",
				"The client token '%s' was already used for a different request.", token)
		}
		return prior.fleet, nil
	}
	total, ok, err := p.integer("TargetCapacitySpecification.TotalTargetCapacity")
	if err != nil {
		return nil, err
	}
	if !ok || total < 1 {
		return nil, clientError("InvalidTargetCapacitySpecification", "TotalTargetCapacity must be at least 1.")
	}
	capacityType, err := capacityTypeOf(p.str("TargetCapacitySpecification.DefaultTargetCapacityType"))
	if err != nil {
		return nil, err
	}
	overrides, err := s.fleetOverrides(p, capacityType, now)
	if err != nil {
		return nil, err
	}
	tags, err := p.tagSpecifications("TagSpecification", "instance")
	if err != nil {
		return nil, err
	}

	resp := &createFleetResponse{FleetID: "fleet-" + s.uuid()}
	reservationID := s.hexID("r")
	launched := map[int]int{} // override order to its index in resp.Instances
	failed := map[int]bool{}
	for range total {
		o := s.pickOverride(overrides, capacityType, failed, resp)
		if o == nil {
			break
		}
		in := s.launch(o, capacityType, reservationID, tags, now)
		i, ok := launched[o.order]
		if !ok {
			i = len(resp.Instances)
			launched[o.order] = i
			resp.Instances = append(resp.Instances, xmlFleetInstance{
				InstanceType: o.instanceType, LaunchTemplateAndOverrides: o.xml(), Lifecycle: capacityType,
			})
		}
		resp.Instances[i].InstanceIDs = append(resp.Instances[i].InstanceIDs, in.id)
	}
	if token != "" {
		s.clientTokens["CreateFleet/"+token] = &clientToken{request: request, fleet: resp}
	}
	// Instances that run from the start announce it now rather than at the next request.
	s.settle(now)
	return resp, nil
}

// pickOverride returns the first override that can launch one more instance, recording in resp the overrides
// that cannot; nil when none can.
func (s *Server) pickOverride(overrides []*override, capacityType string, failed map[int]bool, resp *createFleetResponse) *override {
	for _, o := range overrides {
		if failed[o.order] {
			continue
		}
		if _, err := s.room(o, capacityType, 1); err != nil {
			failed[o.order] = true
			resp.Errors = append(resp.Errors, xmlFleetError{
				ErrorCode: err.code, ErrorMessage: err.message, LaunchTemplateAndOverrides: o.xml(), Lifecycle: capacityType,
			})
			continue
		}
		return o
	}
	return nil
}

// room returns how many instances o's pool and subnet can still take, and the error EC2 gives when that is
// fewer than want: a pool out of capacity first, then a subnet out of addresses.
func (s *Server) room(o *override, capacityType string, want int) (int, *apiError) {
	n := o.subnet.free()
	left, limited := s.capacity[pool{o.instanceType, o.zone, capacityType}]
	if limited {
		n = min(n, left)
	}
	switch {
	case limited && left < want:
		return n, &apiError{status: http.StatusInternalServerError, code: "InsufficientInstanceCapacity",
			message: "We currently do not have sufficient " + o.instanceType + " capacity in the Availability Zone you requested (" + o.zone + ")."}
	case o.subnet.free() < want:
		return n, clientError("InsufficientFreeAddressesInSubnet",
			"There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", o.subnetID)
	}
	return n, nil
}

// launch creates one instance from an override that room said has room, taking one unit of its pool's capacity.
// o.template is nil when the launch names no template.
func (s *Server) launch(o *override, capacityType, reservationID string, tags map[string]string, now time.Time) *instance {
	facts := s.types[s.typeIndex[o.instanceType]]
	ip, _ := o.subnet.allocate() // room checked the subnet has an address
	key := pool{o.instanceType, o.zone, capacityType}
	if left, limited := s.capacity[key]; limited {
		s.capacity[key] = left - 1
	}
	in := &instance{
		id:            s.hexID("i"),
		reservationID: reservationID,
		instanceType:  o.instanceType,
		arch:          facts.Architecture,
		hypervisor:    facts.Hypervisor,
		imageID:       o.imageID,
		capacityType:  capacityType,
		subnet:        o.subnet,
		ip:            ip,
		launchedAt:    now,
		tags:          map[string]string{},
		unjoinable:    s.takeUnjoinable(o.instanceType),
	}
	template := o.template
	if template == nil {
		template = &launchTemplate{}
	}
	in.userData = template.data.UserData
	if in.imageID == "" {
		in.imageID = template.imageID
	}
	if in.imageID == "" {
		in.imageID = s.defaultImage(ec2Architecture(facts.Architecture))
	}
	// The fleet's tags win over the launch template's, as on EC2.
	for k, v := range template.instanceTags {
		in.tags[k] = v
	}
	if capacityType == "spot" {
		in.spotRequestID = "sir-" + s.hexID("r")[2:10]
	}
	for k, v := range tags {
		in.tags[k] = v
	}
	s.instances = append(s.instances, in)
	s.byID[in.id] = in
	return in
}

// fleetOverrides reads and validates the overrides, sorted by priority (unset last), then price, then the order
// they were given in.
func (s *Server) fleetOverrides(p params, capacityType string, now time.Time) ([]*override, error) {
	var out []*override
	for _, c := range p.members("LaunchTemplateConfigs") {
		lt, ref, err := s.fleetTemplate(p, c+".LaunchTemplateSpecification")
		if err != nil {
			return nil, err
		}
		for _, m := range p.members(c + ".Overrides") {
			o := &override{
				config:       ref,
				template:     lt,
				instanceType: cmp.Or(p.str(m+".InstanceType"), lt.instanceType),
				subnetID:     p.str(m + ".SubnetId"),
				imageID:      p.str(m + ".ImageId"),
				askedZone:    p.str(m + ".AvailabilityZone"),
				order:        len(out),
			}
			if err := s.resolveOverride(o, p.str(m+".Priority"), capacityType, now); err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, clientError("InvalidFleetConfiguration", "Each launch template config needs at least one override with a subnet.")
	}
	slices.SortStableFunc(out, func(a, b *override) int {
		pa, pb := math.Inf(1), math.Inf(1)
		if a.priority != nil {
			pa = *a.priority
		}
		if b.priority != nil {
			pb = *b.priority
		}
		return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(a.price, b.price))
	})
	return out, nil
}

// fleetTemplate resolves the launch template of one LaunchTemplateConfigs.N by ID or name.
func (s *Server) fleetTemplate(p params, spec string) (*launchTemplate, launchTemplateRef, error) {
	ref := launchTemplateRef{
		id:      p.str(spec + ".LaunchTemplateId"),
		name:    p.str(spec + ".LaunchTemplateName"),
		version: p.str(spec + ".Version"),
	}
	if ref.id == "" && ref.name == "" {
		return nil, ref, clientError("MissingParameter", "The launch template specification must contain a LaunchTemplateId or a LaunchTemplateName.")
	}
	lt, err := s.lookupTemplate(ref.id, ref.name)
	if err != nil {
		return nil, ref, err
	}
	if err := checkTemplateVersion(lt, ref.version); err != nil {
		return nil, ref, err
	}
	ref.id, ref.name = lt.id, lt.name
	return lt, ref, nil
}

// resolveOverride checks an override's instance type, subnet and zone, and prices it.
func (s *Server) resolveOverride(o *override, priority, capacityType string, now time.Time) error {
	i, ok := s.typeIndex[o.instanceType]
	if !ok {
		return clientError("InvalidParameterValue", "The instance type '%s' does not exist.", o.instanceType)
	}
	if o.subnet = s.subnetByID(o.subnetID); o.subnet == nil {
		return clientError("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", o.subnetID)
	}
	o.zone = o.subnet.zone.name
	if o.askedZone != "" && o.askedZone != o.zone {
		return clientError("InvalidParameterValue", "The subnet '%s' is not in the Availability Zone '%s'.", o.subnetID, o.askedZone)
	}
	if priority != "" {
		v, err := strconv.ParseFloat(priority, 64)
		if err != nil {
			return clientError("InvalidParameterValue", "The priority '%s' is not a number.", priority)
		}
		o.priority = &v
	}
	o.price = math.Inf(1)
	if od, ok := s.prices[o.instanceType]; ok {
		o.price = od
		if capacityType == "spot" {
			o.price = spotPrice(od, s.types[i].Family, o.zone, s.opts.Seed, now)
		}
	}
	return nil
}
