package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodeClaimSpec describes one node Stevedore intends to launch. It is written once by the provisioner and
// never changed: a different node is a different NodeClaim.
type NodeClaimSpec struct {
	// Taints the node carries for its whole life.
	// +kubebuilder:validation:MaxItems=50
	// +listType=atomic
	// +optional
	Taints []Taint `json:"taints,omitempty"`
	// StartupTaints are expected on the node at boot and removed by another agent (a CNI or device plugin, say)
	// once it is ready; Stevedore waits for them to go before calling the node initialized.
	// +kubebuilder:validation:MaxItems=50
	// +listType=atomic
	// +optional
	StartupTaints []Taint `json:"startupTaints,omitempty"`
	// Requirements the launched instance must satisfy; the provisioner narrows the NodePool's requirements to
	// the instance types, zones and capacity types that fit the pods it packed onto this claim.
	// +kubebuilder:validation:MaxItems=100
	// +listType=atomic
	// +required
	Requirements []NodeSelectorRequirementWithMinValues `json:"requirements"`
	// Resources the pods packed onto this claim request.
	// +optional
	Resources ResourceRequirements `json:"resources,omitempty"`
	// NodeClassRef names the EC2NodeClass to launch from.
	// +required
	NodeClassRef *NodeClassReference `json:"nodeClassRef"`
	// TerminationGracePeriod bounds how long a draining node waits for pods that block eviction (PDBs,
	// do-not-disrupt) before they are deleted anyway. Unset means wait for ever.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(s|m|h))+$')",message="must be a duration of whole seconds, minutes or hours such as 30s, 15m or 48h"
	// +optional
	TerminationGracePeriod *metav1.Duration `json:"terminationGracePeriod,omitempty"`
	// ExpireAfter is how long after launch the node is replaced, or Never.
	// +kubebuilder:default="720h"
	// +optional
	ExpireAfter NillableDuration `json:"expireAfter,omitzero"`
}

// ResourceRequirements holds the resources a NodeClaim's pods request.
type ResourceRequirements struct {
	// Requests is the sum of the requests of the pods packed onto the claim, DaemonSets included.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Requests corev1.ResourceList `json:"requests,omitempty"`
}

// NodeClaimStatus is what the lifecycle controller has observed of the claim's instance and node.
type NodeClaimStatus struct {
	// ProviderID is the instance's cloud ID, aws:///<zone>/<instance-id>.
	// +optional
	ProviderID string `json:"providerID,omitempty"`
	// NodeName is the Kubernetes Node the instance registered as.
	// +optional
	NodeName string `json:"nodeName,omitempty"`
	// ImageID is the AMI the instance booted from.
	// +optional
	ImageID string `json:"imageID,omitempty"`
	// Capacity is the instance's total resources.
	// +optional
	Capacity corev1.ResourceList `json:"capacity,omitempty"`
	// Allocatable is what is left for pods after kube-reserved, system-reserved and eviction thresholds.
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`
	// Conditions: Launched, Registered, Initialized, Drifted, Consolidatable, Disrupting, and Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// LastPodEventTime is when a pod last bound to or left the node; consolidation waits consolidateAfter
	// from here.
	// +optional
	LastPodEventTime metav1.Time `json:"lastPodEventTime,omitempty"`
}

// NodeClaim is Stevedore's record of one node: the provisioner creates it, the lifecycle controller launches its
// instance and watches the node join, and deleting it drains the node and terminates the instance.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=nodeclaims,scope=Cluster,categories=stevedore,shortName=nc
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=".metadata.labels.node\\.kubernetes\\.io/instance-type"
// +kubebuilder:printcolumn:name="Capacity",type=string,JSONPath=".metadata.labels.stevedore\\.dev/capacity-type"
// +kubebuilder:printcolumn:name="Zone",type=string,JSONPath=".metadata.labels.topology\\.kubernetes\\.io/zone"
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=".status.nodeName"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Consolidatable",type=string,JSONPath=".status.conditions[?(@.type==\"Consolidatable\")].reason",priority=1
// +kubebuilder:printcolumn:name="Why",type=string,JSONPath=".status.conditions[?(@.type==\"Consolidatable\")].message",priority=1
// +kubebuilder:printcolumn:name="ImageID",type=string,JSONPath=".status.imageID",priority=1
// +kubebuilder:printcolumn:name="ID",type=string,JSONPath=".status.providerID",priority=1
// +kubebuilder:printcolumn:name="NodePool",type=string,JSONPath=".metadata.labels.stevedore\\.dev/nodepool",priority=1
type NodeClaim struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is immutable: a different node is a different NodeClaim.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable; delete the NodeClaim and let the provisioner create another"
	// +required
	Spec NodeClaimSpec `json:"spec"`
	// +optional
	Status NodeClaimStatus `json:"status,omitempty"`
}

// NodeClaimList is a list of NodeClaims.
//
// +kubebuilder:object:root=true
type NodeClaimList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodeClaim `json:"items"`
}
