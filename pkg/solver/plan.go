package solver

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// Plan is where the pods of a Snapshot go and what it costs.
type Plan struct {
	// Existing lists, per existing node or in-flight claim that receives pods, the pods placed there.
	Existing []ExistingPlacement
	// NewNodeClaims are the nodes to launch, cheapest choice first in each claim's options.
	NewNodeClaims []*NewNodeClaim
	// Unschedulable are pods with no place, each with a reason a person can act on.
	Unschedulable []Unschedulable
	// PricePerHour is the price of the new NodeClaims' chosen offerings, in US dollars.
	PricePerHour float64
	// LowerBoundPricePerHour is a lower bound on the price of any new capacity that places the pods this plan
	// places on new NodeClaims: the optimum of a linear relaxation over resources. PricePerHour /
	// LowerBoundPricePerHour - 1 is at least how far from optimal the plan may be.
	LowerBoundPricePerHour float64
}

// ExistingPlacement is pods placed on capacity that already exists or is in flight.
type ExistingPlacement struct {
	// Node is the node's (or in-flight NodeClaim's) name.
	Node string
	// Pods placed on it, in placement order.
	Pods []types.NamespacedName
}

// NewNodeClaim is a node to launch.
type NewNodeClaim struct {
	// NodePool is the pool it launches from.
	NodePool string
	// InstanceType, Zone, CapacityType and PricePerHour are the cheapest offering that fits the pods.
	InstanceType string
	Zone         string
	CapacityType string
	PricePerHour float64
	// Labels are every label the node will carry: the pool's template labels, the instance type's labels, the
	// zone and capacity type, and labels the pods' constraints pinned.
	Labels map[string]string
	// Requirements the launch must satisfy: the pool's requirements narrowed to the zone, capacity type and
	// labels the pods need.
	Requirements scheduling.Requirements
	// Requests are the pods' total requests (DaemonSet overhead excluded).
	Requests corev1.ResourceList
	// Pods placed on it, in placement order.
	Pods []types.NamespacedName
	// InstanceTypeOptions are compatible instance types that fit the pods, cheapest first, for the launcher to
	// fall back on when capacity is short; the first is InstanceType.
	InstanceTypeOptions []InstanceTypeOption
}

// InstanceTypeOption is one instance type a new NodeClaim may launch as.
type InstanceTypeOption struct {
	// Name of the instance type.
	Name string
	// PricePerHour of its cheapest offering in the claim's zone and capacity type.
	PricePerHour float64
}

// Unschedulable is a pod the plan could not place.
type Unschedulable struct {
	// Pod is the pod's namespace and name.
	Pod types.NamespacedName
	// Reason says what stops it, for a person to act on.
	Reason string
}
