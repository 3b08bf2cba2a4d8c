package awssim

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// discoveryTag marks the subnets and security groups a cluster's nodes use.
	discoveryTag = "stevedore.dev/discovery"
	// maxZones is how many /20 subnets fit in the VPC's /16.
	maxZones = 16
	// subnetSize is the number of addresses in a /20; EC2 reserves the first four and the last.
	subnetSize = 4096
)

// zone is an availability zone.
type zone struct{ name, id string }

// subnet is one subnet per zone. Addresses are handed out lowest first and given back on termination.
type subnet struct {
	id     string
	zone   zone
	cidr   netip.Prefix
	tags   map[string]string
	inUse  map[netip.Addr]bool
	usable int
}

// securityGroup is the cluster's node security group.
type securityGroup struct {
	id, name string
	tags     map[string]string
}

// createNetwork creates the zones, the VPC 10.0.0.0/16 with a /20 subnet per zone, and the security group.
func (s *Server) createNetwork() {
	short := regionShortName(s.region)
	s.vpcID = s.hexID("vpc")
	for i, name := range s.opts.Zones {
		z := zone{name: name, id: short + "-az" + strconv.Itoa(i+1)}
		s.zones = append(s.zones, z)
		s.subnets = append(s.subnets, &subnet{
			id:     s.hexID("subnet"),
			zone:   z,
			cidr:   netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i * 16), 0}), 20),
			tags:   map[string]string{discoveryTag: s.opts.ClusterName, "Name": s.opts.ClusterName + "-private-" + name},
			inUse:  map[netip.Addr]bool{},
			usable: subnetSize - 5,
		})
	}
	s.group = &securityGroup{
		id:   s.hexID("sg"),
		name: s.opts.ClusterName + "-nodes",
		tags: map[string]string{discoveryTag: s.opts.ClusterName, "Name": s.opts.ClusterName + "-nodes"},
	}
}

// regionShortName abbreviates a region the way zone IDs do: us-east-1 becomes use1.
func regionShortName(region string) string {
	parts := strings.Split(region, "-")
	var b strings.Builder
	for i, part := range parts {
		if i == 0 || i == len(parts)-1 || part == "" {
			b.WriteString(part)
			continue
		}
		b.WriteByte(part[0])
	}
	return b.String()
}

// free returns how many addresses the subnet can still hand out.
func (n *subnet) free() int { return n.usable - len(n.inUse) }

// allocate takes the lowest free address, and false when the subnet is full.
func (n *subnet) allocate() (netip.Addr, bool) {
	if n.free() <= 0 {
		return netip.Addr{}, false
	}
	base := n.cidr.Addr().As4()
	first := binary.BigEndian.Uint32(base[:])
	for off := uint32(4); off < subnetSize-1; off++ {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], first+off)
		if a := netip.AddrFrom4(b); !n.inUse[a] {
			n.inUse[a] = true
			return a, true
		}
	}
	return netip.Addr{}, false
}

func (s *Server) subnetByID(id string) *subnet {
	for _, n := range s.subnets {
		if n.id == id {
			return n
		}
	}
	return nil
}

func (s *Server) zoneByName(name string) (zone, bool) {
	for _, z := range s.zones {
		if z.name == name {
			return z, true
		}
	}
	return zone{}, false
}

type xmlZone struct {
	ZoneName           string `xml:"zoneName"`
	ZoneID             string `xml:"zoneId"`
	ZoneState          string `xml:"zoneState"`
	RegionName         string `xml:"regionName"`
	ZoneType           string `xml:"zoneType"`
	OptInStatus        string `xml:"optInStatus"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
}

type describeAvailabilityZonesResponse struct {
	Zones []xmlZone `xml:"availabilityZoneInfo>item"`
}

func (s *Server) describeAvailabilityZones(p params, _ time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	names, ids := p.strs("ZoneName"), p.strs("ZoneId")
	resp := &describeAvailabilityZonesResponse{}
	for _, z := range s.zones {
		if (len(names) > 0 && !slices.Contains(names, z.name)) || (len(ids) > 0 && !slices.Contains(ids, z.id)) {
			continue
		}
		ok, err := match(filters, nil, func(name string) ([]string, bool) {
			switch name {
			case "zone-name":
				return []string{z.name}, true
			case "zone-id":
				return []string{z.id}, true
			case "state":
				return []string{"available"}, true
			case "region-name":
				return []string{s.region}, true
			case "zone-type":
				return []string{"availability-zone"}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if ok {
			resp.Zones = append(resp.Zones, xmlZone{
				ZoneName: z.name, ZoneID: z.id, ZoneState: "available", RegionName: s.region,
				ZoneType: "availability-zone", OptInStatus: "opt-in-not-required", GroupName: s.region,
				NetworkBorderGroup: s.region,
			})
		}
	}
	return resp, nil
}

type xmlSubnet struct {
	SubnetID                string   `xml:"subnetId"`
	SubnetArn               string   `xml:"subnetArn"`
	VpcID                   string   `xml:"vpcId"`
	OwnerID                 string   `xml:"ownerId"`
	State                   string   `xml:"state"`
	CidrBlock               string   `xml:"cidrBlock"`
	AvailableIPAddressCount int      `xml:"availableIpAddressCount"`
	AvailabilityZone        string   `xml:"availabilityZone"`
	AvailabilityZoneID      string   `xml:"availabilityZoneId"`
	DefaultForAz            bool     `xml:"defaultForAz"`
	MapPublicIPOnLaunch     bool     `xml:"mapPublicIpOnLaunch"`
	Tags                    []xmlTag `xml:"tagSet>item"`
}

type describeSubnetsResponse struct {
	Subnets []xmlSubnet `xml:"subnetSet>item"`
}

func (s *Server) describeSubnets(p params, _ time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	ids := p.strs("SubnetId")
	for _, id := range ids {
		if s.subnetByID(id) == nil {
			return nil, clientError("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
		}
	}
	resp := &describeSubnetsResponse{}
	for _, n := range s.subnets {
		if len(ids) > 0 && !slices.Contains(ids, n.id) {
			continue
		}
		ok, err := match(filters, n.tags, func(name string) ([]string, bool) {
			switch name {
			case "subnet-id":
				return []string{n.id}, true
			case "vpc-id":
				return []string{s.vpcID}, true
			case "availability-zone":
				return []string{n.zone.name}, true
			case "availability-zone-id":
				return []string{n.zone.id}, true
			case "cidr-block":
				return []string{n.cidr.String()}, true
			case "state":
				return []string{"available"}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if ok {
			resp.Subnets = append(resp.Subnets, xmlSubnet{
				SubnetID:  n.id,
				SubnetArn: fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", s.region, accountID, n.id),
				VpcID:     s.vpcID, OwnerID: accountID, State: "available", CidrBlock: n.cidr.String(),
				AvailableIPAddressCount: n.free(), AvailabilityZone: n.zone.name, AvailabilityZoneID: n.zone.id,
				Tags: tagSet(n.tags),
			})
		}
	}
	return resp, nil
}

type xmlSecurityGroup struct {
	GroupID          string   `xml:"groupId"`
	GroupName        string   `xml:"groupName"`
	GroupDescription string   `xml:"groupDescription"`
	VpcID            string   `xml:"vpcId"`
	OwnerID          string   `xml:"ownerId"`
	SecurityGroupArn string   `xml:"securityGroupArn"`
	Tags             []xmlTag `xml:"tagSet>item"`
}

type describeSecurityGroupsResponse struct {
	Groups []xmlSecurityGroup `xml:"securityGroupInfo>item"`
}

func (s *Server) describeSecurityGroups(p params, _ time.Time) (any, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	g := s.group
	for _, id := range p.strs("GroupId") {
		if id != g.id {
			return nil, clientError("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
	}
	for _, name := range p.strs("GroupName") {
		if name != g.name {
			return nil, clientError("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", name, s.vpcID)
		}
	}
	ok, err := match(filters, g.tags, func(name string) ([]string, bool) {
		switch name {
		case "group-id":
			return []string{g.id}, true
		case "group-name":
			return []string{g.name}, true
		case "vpc-id":
			return []string{s.vpcID}, true
		}
		return nil, false
	})
	if err != nil {
		return nil, err
	}
	resp := &describeSecurityGroupsResponse{}
	if ok {
		resp.Groups = append(resp.Groups, xmlSecurityGroup{
			GroupID: g.id, GroupName: g.name, GroupDescription: "Stevedore nodes of " + s.opts.ClusterName,
			VpcID: s.vpcID, OwnerID: accountID,
			SecurityGroupArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", s.region, accountID, g.id),
			Tags:             tagSet(g.tags),
		})
	}
	return resp, nil
}
