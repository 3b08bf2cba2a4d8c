package v1

import (
	corev1 "k8s.io/api/core/v1"
)

// Labels, annotations, taints and finalizers Stevedore owns.
const (
	// NodePoolLabelKey names the NodePool that launched a node; Stevedore sets it, users may not.
	NodePoolLabelKey = Group + "/nodepool"
	// NodeClaimLabelKey is not a label users see on nodes; it exists so that selectors can find a claim by name.
	NodeClaimLabelKey = Group + "/nodeclaim"
	// CapacityTypeLabelKey is on-demand, spot or reserved.
	CapacityTypeLabelKey = Group + "/capacity-type"
	// NodeInitializedLabelKey is set once a node has registered, lost its startup taints and reports its resources.
	NodeInitializedLabelKey = Group + "/initialized"
	// NodeRegisteredLabelKey is set once the node joined the cluster.
	NodeRegisteredLabelKey = Group + "/registered"

	// DoNotDisruptAnnotationKey on a pod or node keeps Stevedore from voluntarily disrupting that node.
	DoNotDisruptAnnotationKey = Group + "/do-not-disrupt"

	// TerminationFinalizer holds NodeClaims and Nodes until their instance is gone.
	TerminationFinalizer = Group + "/termination"

	// DisruptedTaintKey marks a node Stevedore is draining.
	DisruptedTaintKey = Group + "/disrupted"
	// UnregisteredTaintKey keeps pods off a node until Stevedore has reconciled its labels and taints.
	UnregisteredTaintKey = Group + "/unregistered"
)

// Capacity types.
const (
	CapacityTypeOnDemand = "on-demand"
	CapacityTypeSpot     = "spot"
	CapacityTypeReserved = "reserved"
)

// Requirement operators, from the Kubernetes node selector API.
const (
	OperatorIn           = corev1.NodeSelectorOpIn
	OperatorNotIn        = corev1.NodeSelectorOpNotIn
	OperatorExists       = corev1.NodeSelectorOpExists
	OperatorDoesNotExist = corev1.NodeSelectorOpDoesNotExist
	OperatorGt           = corev1.NodeSelectorOpGt
	OperatorLt           = corev1.NodeSelectorOpLt
)

// WellKnownLabels are label keys a NodePool may constrain in its requirements although their domains are
// restricted: Stevedore derives their values from the instance it launches. The AWS API package lists its own
// keys (aws.stevedore.dev/instance-family and friends) beside its types; the NodePool's CEL rules allow both.
var WellKnownLabels = []string{
	corev1.LabelTopologyZone,
	corev1.LabelTopologyRegion,
	corev1.LabelInstanceTypeStable,
	corev1.LabelArchStable,
	corev1.LabelOSStable,
	corev1.LabelWindowsBuild,
	CapacityTypeLabelKey,
}

// RestrictedLabelDomains are label domains (and their subdomains) users may not set or constrain, except for
// well-known labels and the LabelDomainExceptions.
var RestrictedLabelDomains = []string{"kubernetes.io", "k8s.io", Group}

// LabelDomainExceptions are subdomains of restricted domains that kubelets and users may set.
var LabelDomainExceptions = []string{"node.kubernetes.io", "node-restriction.kubernetes.io"}

// ResourceNodes is the resource a NodePool's limits and status count its nodes in.
const ResourceNodes corev1.ResourceName = "nodes"
