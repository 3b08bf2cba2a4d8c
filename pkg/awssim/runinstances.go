package awssim

import (
	"net/url"
	"time"
)

// clientToken remembers what a RunInstances or CreateFleet call with a ClientToken launched, so that a retry of
// it launches nothing more and answers as the first call did.
type clientToken struct {
	// request is the rest of the request, encoded, to tell a retry from a different request reusing the token.
	request       string
	reservationID string
	instanceIDs   []string
	// fleet is CreateFleet's first answer.
	fleet *createFleetResponse
}

// runInstances launches between MinCount and MaxCount instances of one type into one subnet, all or nothing
// for MinCount: when the pool or the subnet has room for fewer it launches none and fails, as EC2 does. It
// shares override resolution and launching with CreateFleet, so templates, capacity limits, tags and the
// unjoinable fault behave the same way.
func (s *Server) runInstances(p params, now time.Time) (any, error) {
	token := p.str("ClientToken")
	request := idempotencyKey(p)
	if prior, ok := s.clientTokens[token]; ok && token != "" {
		if prior.request != request {
			return nil, clientError("IdempotentParameterMismatch",
				"The client token '%s' was already used for a different request.", token)
		}
		return s.reservation(prior.reservationID, prior.instanceIDs, now), nil
	}
	minCount, maxCount, err := launchCounts(p)
	if err != nil {
		return nil, err
	}
	o, capacityType, err := s.runOverride(p, now)
	if err != nil {
		return nil, err
	}
	tags, err := p.tagSpecifications("TagSpecification", "instance")
	if err != nil {
		return nil, err
	}
	n, apiErr := s.room(o, capacityType, minCount)
	if apiErr != nil {
		return nil, apiErr
	}
	reservationID := s.hexID("r")
	var ids []string
	for range min(n, maxCount) {
		ids = append(ids, s.launch(o, capacityType, reservationID, tags, now).id)
	}
	if token != "" {
		s.clientTokens[token] = &clientToken{request: request, reservationID: reservationID, instanceIDs: ids}
	}
	// Instances that run from the start announce it now rather than at the next request.
	s.settle(now)
	return s.reservation(reservationID, ids, now), nil
}

// idempotencyKey is the request without the fields that differ between retries of one call.
func idempotencyKey(p params) string {
	rest := url.Values{}
	for k, v := range p {
		switch k {
		case "Action", "Version", "ClientToken":
		default:
			rest[k] = v
		}
	}
	return rest.Encode()
}

// launchCounts reads MinCount and MaxCount, which EC2 requires.
func launchCounts(p params) (minCount, maxCount int, err error) {
	minCount, okMin, err := p.integer("MinCount")
	if err != nil {
		return 0, 0, err
	}
	maxCount, okMax, err := p.integer("MaxCount")
	if err != nil {
		return 0, 0, err
	}
	switch {
	case !okMin || !okMax:
		return 0, 0, clientError("MissingParameter", "The request must contain the parameters MinCount and MaxCount")
	case minCount < 1:
		return 0, 0, clientError("InvalidParameterValue", "Value (%d) for parameter minCount is invalid. Expected a positive integer.", minCount)
	case maxCount < minCount:
		return 0, 0, clientError("InvalidParameterValue", "MaxCount (%d) must not be less than MinCount (%d).", maxCount, minCount)
	}
	return minCount, maxCount, nil
}

// runOverride turns a RunInstances request into the override CreateFleet would launch it from: the template's
// instance type and image unless the request names its own, in the request's subnet, else the subnet of
// Placement.AvailabilityZone, else the first zone's.
func (s *Server) runOverride(p params, now time.Time) (*override, string, error) {
	capacityType := "on-demand"
	if market := p.str("InstanceMarketOptions.MarketType"); market != "" {
		var err error
		if capacityType, err = capacityTypeOf(market); err != nil {
			return nil, "", err
		}
	}
	o := &override{
		instanceType: p.str("InstanceType"),
		subnetID:     p.str("SubnetId"),
		imageID:      p.str("ImageId"),
		askedZone:    p.str("Placement.AvailabilityZone"),
	}
	if p.str("LaunchTemplate.LaunchTemplateId") != "" || p.str("LaunchTemplate.LaunchTemplateName") != "" {
		lt, ref, err := s.fleetTemplate(p, "LaunchTemplate")
		if err != nil {
			return nil, "", err
		}
		o.template, o.config = lt, ref
		if o.instanceType == "" {
			o.instanceType = lt.instanceType
		}
	}
	if o.instanceType == "" {
		return nil, "", clientError("MissingParameter", "The request must contain the parameter InstanceType or a launch template that sets it")
	}
	if o.subnetID == "" {
		o.subnetID = s.subnets[0].id
		for _, n := range s.subnets {
			if n.zone.name == o.askedZone {
				o.subnetID = n.id
			}
		}
	}
	if err := s.resolveOverride(o, "", capacityType, now); err != nil {
		return nil, "", err
	}
	return o, capacityType, nil
}

// reservation renders the instances of one RunInstances call that are still known, as RunInstances answers.
func (s *Server) reservation(reservationID string, ids []string, now time.Time) *xmlReservation {
	out := &xmlReservation{ReservationID: reservationID, OwnerID: accountID, Instances: []xmlInstance{}}
	for i, id := range ids {
		if in, ok := s.byID[id]; ok {
			x := s.describe(in, now)
			x.AmiLaunchIndex = i
			out.Instances = append(out.Instances, x)
		}
	}
	return out
}
