package fleet

import (
	"cmp"
	"fmt"
	"slices"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// Subnet is a subnet a launch may use, with the addresses it has left.
type Subnet struct {
	ID           string
	Zone         string
	AvailableIPs int64
}

// Override is one launch-template override: an instance type in a subnet, with the priority EC2 uses under
// the prioritized strategies (lower first).
type Override struct {
	InstanceType string
	SubnetID     string
	Zone         string
	Priority     float64
	// LaunchTemplate names the launch template for this instance type when it differs from the launch's
	// default (instance types that need another image or kubelet settings); empty means the default.
	LaunchTemplate string
}

// Overrides pairs each candidate with the subnet of its zone that has the most free addresses (one subnet
// per zone, ties broken by ID); priorities follow the candidates' price order. Candidates in zones without a
// usable subnet are dropped; none left is an InsufficientCapacityError naming the zones.
func Overrides(choice Choice, subnets []Subnet) ([]Override, error) {
	best := map[string]Subnet{}
	for _, s := range subnets {
		if s.AvailableIPs <= 0 {
			continue
		}
		if b, ok := best[s.Zone]; !ok || s.AvailableIPs > b.AvailableIPs || (s.AvailableIPs == b.AvailableIPs && s.ID < b.ID) {
			best[s.Zone] = s
		}
	}
	var out []Override
	var missing []string
	for i, c := range choice.Candidates {
		s, ok := best[c.Zone]
		if !ok {
			if !slices.Contains(missing, c.Zone) {
				missing = append(missing, c.Zone)
			}
			continue
		}
		out = append(out, Override{InstanceType: c.InstanceType, SubnetID: s.ID, Zone: c.Zone, Priority: float64(i)})
	}
	if len(out) == 0 {
		slices.Sort(missing)
		return nil, cloudprovider.NewInsufficientCapacityError(fmt.Errorf("no subnet with free addresses in zones %v", missing))
	}
	slices.SortStableFunc(out, func(a, b Override) int { return cmp.Compare(a.Priority, b.Priority) })
	return out, nil
}

// Strategy is the EC2 Fleet allocation strategy for a capacity type: the node class's choice, else
// price-capacity-optimized for spot and lowest-price otherwise.
func Strategy(nc *awsv1.EC2NodeClass, capacityType string) string {
	s := nc.Spec.AllocationStrategy
	if capacityType == v1.CapacityTypeSpot {
		if s != nil && s.Spot != "" {
			return s.Spot
		}
		return "price-capacity-optimized"
	}
	if s != nil && s.OnDemand != "" {
		return s.OnDemand
	}
	return "lowest-price"
}
