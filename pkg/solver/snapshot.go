package solver

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// Snapshot is everything the solver may consider. The solver never modifies it.
type Snapshot struct {
	// Pods are the pending pods to place.
	Pods []*corev1.Pod
	// Nodes are existing nodes and in-flight NodeClaims, with the pods bound or nominated to them. Their pods
	// count for topology spread and pod (anti-)affinity.
	Nodes []*Node
	// NodePools are the pools new capacity may come from, each with the instance types it may launch.
	NodePools []*NodePool
	// PersistentVolumeClaims, PersistentVolumes and StorageClasses decide the zones a pod with volumes can use.
	PersistentVolumeClaims []*corev1.PersistentVolumeClaim
	PersistentVolumes      []*corev1.PersistentVolume
	StorageClasses         []*storagev1.StorageClass
	// Options tune the solve.
	Options Options
}

// Node is capacity that exists or is being launched.
type Node struct {
	// Name is the node's name, or the NodeClaim's for one in flight.
	Name string
	// Labels are the node's labels; for an in-flight NodeClaim, the labels its node will carry.
	Labels map[string]string
	// Taints are the node's taints. Startup taints of in-flight NodeClaims should be left out: they go away.
	Taints []corev1.Taint
	// Allocatable is what the node offers pods (for an in-flight claim, its instance type's allocatable).
	Allocatable corev1.ResourceList
	// Pods are the pods bound or nominated to the node, DaemonSet pods included; their requests are used.
	Pods []*corev1.Pod
	// InFlight is true for a NodeClaim whose node has not registered yet.
	InFlight bool
	// NodePool is the pool the node belongs to, if any.
	NodePool string
}

// NodePool is a pool the solver may launch into.
type NodePool struct {
	// NodePool is the pool's specification: requirements, template labels, taints, limits and weight.
	NodePool *v1.NodePool
	// InstanceTypes are the types the pool may launch, with offerings, prices and overhead (DaemonSet
	// overhead included) already computed.
	InstanceTypes []*cloudprovider.InstanceType
	// Usage is what the pool's existing nodes and in-flight claims already count against its limits,
	// including "nodes".
	Usage corev1.ResourceList
}

// Options tune a solve.
type Options struct {
	// IgnorePreferences treats preferred node affinity, preferred pod (anti-)affinity and ScheduleAnyway
	// topology spread as absent. By default they are honoured and relaxed one at a time, lowest weight
	// first, only for pods that cannot be placed otherwise.
	IgnorePreferences bool
	// DefaultTopologySpreadConstraints apply to pods without their own, as the cluster's kube-scheduler
	// applies its configured defaults (PodTopologySpread's defaultConstraints with defaultingType List);
	// their label selector is derived from the pod's owning workload, here approximated by the pod's labels.
	DefaultTopologySpreadConstraints []corev1.TopologySpreadConstraint
	// MaxInstanceTypeOptions bounds the ranked instance types each new NodeClaim carries for the launcher;
	// 0 means 60.
	MaxInstanceTypeOptions int
}
