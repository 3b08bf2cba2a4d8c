package fleet

import (
	"testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

func TestOverridesUseTheRoomiestSubnetPerZone(t *testing.T) {
	choice := Choice{CapacityType: v1.CapacityTypeSpot, Candidates: []Candidate{
		{InstanceType: "small", Zone: "a", Price: 0.03}, {InstanceType: "small", Zone: "c", Price: 0.03},
		{InstanceType: "large", Zone: "a", Price: 0.12}, {InstanceType: "large", Zone: "b", Price: 0.12},
	}}
	subnets := []Subnet{
		{ID: "subnet-a1", Zone: "a", AvailableIPs: 10}, {ID: "subnet-a2", Zone: "a", AvailableIPs: 200},
		{ID: "subnet-b1", Zone: "b", AvailableIPs: 0}, // full: zone b has no usable subnet
		{ID: "subnet-c2", Zone: "c", AvailableIPs: 50}, {ID: "subnet-c1", Zone: "c", AvailableIPs: 50},
	}
	got, err := Overrides(choice, subnets)
	if err != nil {
		t.Fatal(err)
	}
	want := []Override{
		{InstanceType: "small", SubnetID: "subnet-a2", Zone: "a", Priority: 0},
		{InstanceType: "small", SubnetID: "subnet-c1", Zone: "c", Priority: 1},
		{InstanceType: "large", SubnetID: "subnet-a2", Zone: "a", Priority: 2},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("override %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	_, err = Overrides(Choice{Candidates: []Candidate{{InstanceType: "x", Zone: "b"}}}, subnets)
	if !cloudprovider.IsInsufficientCapacityError(err) || err.Error() != "insufficient capacity: no subnet with free addresses in zones [b]" {
		t.Errorf("only zone b: %v", err)
	}
}

func TestStrategy(t *testing.T) {
	nc := &awsv1.EC2NodeClass{}
	if Strategy(nc, v1.CapacityTypeSpot) != "price-capacity-optimized" || Strategy(nc, v1.CapacityTypeOnDemand) != "lowest-price" {
		t.Error("defaults")
	}
	nc.Spec.AllocationStrategy = &awsv1.AllocationStrategy{Spot: "capacity-optimized", OnDemand: "prioritized"}
	if Strategy(nc, v1.CapacityTypeSpot) != "capacity-optimized" || Strategy(nc, v1.CapacityTypeOnDemand) != "prioritized" {
		t.Error("the node class's choice")
	}
}
