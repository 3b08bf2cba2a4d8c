package cloudprovider

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// InstanceType is one machine shape a NodePool may launch, as the solver sees it: what a node of this type
// has (Capacity), what it keeps for itself (Overhead), what it is labelled (Requirements) and where and at
// what price it can be bought (Offerings).
type InstanceType struct {
	// Name is the cloud's name for the type, such as m5.large.
	Name string
	// Requirements are the labels a node of this type carries, as requirements: single values for
	// instance-type, arch, os, cpu, memory and so on; the zones and capacity types of its offerings; and
	// DoesNotExist for the well-known labels that do not apply (no GPU, say), so that Gt/Lt work.
	Requirements scheduling.Requirements
	// Offerings are the zone and capacity-type combinations the type is sold in, with prices.
	Offerings Offerings
	// Capacity is what the node reports as capacity: cpu, memory, pods, ephemeral-storage and extended
	// resources such as nvidia.com/gpu.
	Capacity corev1.ResourceList
	// Overhead is held back from pods.
	Overhead Overhead
}

// Overhead is capacity a node does not offer to the pods the solver places.
type Overhead struct {
	// KubeReserved is reserved for the kubelet and container runtime.
	KubeReserved corev1.ResourceList
	// SystemReserved is reserved for operating-system daemons.
	SystemReserved corev1.ResourceList
	// EvictionThreshold is the hard-eviction headroom the kubelet keeps free.
	EvictionThreshold corev1.ResourceList
	// DaemonSets is what the cluster's DaemonSet pods that would run on a node of this type in this NodePool
	// request, including one pod slot each.
	DaemonSets corev1.ResourceList
}

// Node returns the overhead that node allocatable excludes: kube-reserved, system-reserved and eviction.
func (o Overhead) Node() corev1.ResourceList {
	return sum(o.KubeReserved, o.SystemReserved, o.EvictionThreshold)
}

// Total returns all overhead, DaemonSets included.
func (o Overhead) Total() corev1.ResourceList {
	return sum(o.KubeReserved, o.SystemReserved, o.EvictionThreshold, o.DaemonSets)
}

// Allocatable is what the node will report as allocatable: capacity minus node overhead, floored at zero.
func (it *InstanceType) Allocatable() corev1.ResourceList {
	return subtract(it.Capacity, it.Overhead.Node())
}

// Available is what is left for the pods the solver places once DaemonSet pods are running.
func (it *InstanceType) Available() corev1.ResourceList {
	return subtract(it.Capacity, it.Overhead.Total())
}

// Offering is one way to buy an instance type: a zone and a capacity type, at a price.
type Offering struct {
	// Zone is the availability zone, such as us-west-2a.
	Zone string
	// CapacityType is on-demand, spot or reserved (see v1.CapacityType*).
	CapacityType string
	// Price is the price per hour in US dollars.
	Price float64
	// Available is false while the cloud reports insufficient capacity for this offering.
	Available bool
}

// Requirements returns the offering as zone and capacity-type requirements.
func (o Offering) Requirements() scheduling.Requirements {
	return scheduling.NewRequirements(
		scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, o.Zone),
		scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, o.CapacityType),
	)
}

// Offerings is a list of offerings.
type Offerings []Offering

// Available returns the offerings currently available.
func (os Offerings) Available() Offerings {
	return slices.DeleteFunc(slices.Clone(os), func(o Offering) bool { return !o.Available })
}

// Compatible returns the offerings whose zone and capacity type satisfy reqs.
func (os Offerings) Compatible(reqs scheduling.Requirements) Offerings {
	zone, capacityType := reqs.Get(corev1.LabelTopologyZone), reqs.Get(v1.CapacityTypeLabelKey)
	return slices.DeleteFunc(slices.Clone(os), func(o Offering) bool {
		return !zone.Has(o.Zone) || !capacityType.Has(o.CapacityType)
	})
}

// Cheapest returns the lowest-priced offering, and false when there is none.
func (os Offerings) Cheapest() (Offering, bool) {
	if len(os) == 0 {
		return Offering{}, false
	}
	return slices.MinFunc(os, func(a, b Offering) int {
		switch {
		case a.Price < b.Price:
			return -1
		case a.Price > b.Price:
			return 1
		default:
			return 0
		}
	}), true
}

func sum(lists ...corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, l := range lists {
		for name, q := range l {
			total := out[name]
			total.Add(q)
			out[name] = total
		}
	}
	return out
}

func subtract(from, minus corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for name, q := range from {
		left := q.DeepCopy()
		if m, ok := minus[name]; ok {
			left.Sub(m)
		}
		if left.Sign() < 0 {
			left = resource.Quantity{Format: q.Format}
		}
		out[name] = left
	}
	return out
}
