package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodePoolSpec is the policy for a set of nodes: what they may be, how they may be disrupted, and how much of
// them there may be.
type NodePoolSpec struct {
	// Template describes the NodeClaims (and so the nodes) this pool launches.
	// +required
	Template NodeClaimTemplate `json:"template"`
	// Disruption says when Stevedore may remove or replace this pool's nodes.
	// +kubebuilder:default={consolidateAfter: "0s"}
	// +optional
	Disruption Disruption `json:"disruption"`
	// Limits cap the total resources of the pool's nodes (cpu, memory, nvidia.com/gpu, nodes, ...). The
	// provisioner launches nothing that would cross a limit.
	// +kubebuilder:validation:MaxProperties=24
	// +kubebuilder:validation:XValidation:rule="self.all(k, !string(self[k]).startsWith('-'))",message="limits must not be negative; omit a resource to leave it unlimited"
	// +optional
	Limits corev1.ResourceList `json:"limits,omitempty"`
	// Weight orders pools for the provisioner: among pools that can run a pod, the heaviest is tried first.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	Weight *int32 `json:"weight,omitempty"`
}

// NodeClaimTemplate is the template for the NodeClaims a NodePool creates.
type NodeClaimTemplate struct {
	// +optional
	ObjectMeta ObjectMeta `json:"metadata,omitempty"`
	// +required
	Spec NodeClaimTemplateSpec `json:"spec"`
}

// ObjectMeta holds the labels and annotations every node of the pool gets.
type ObjectMeta struct {
	// Labels for the nodes. Labels Stevedore derives from the instance (zone, instance type, architecture,
	// capacity type, aws.stevedore.dev/instance-*) may not be set here: constrain them with requirements.
	// +kubebuilder:validation:MaxProperties=100
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",messageExpression="'label key \"' + self.filter(k, !k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))[0] + '\" is not a qualified name: use an optional DNS prefix and \"/\", then up to 63 letters, digits, \"-\", \"_\" or \".\"'"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.contains('/') || k.split('/')[0].matches('^(.+[.])?(node|node-restriction)[.]kubernetes[.]io$') || !k.split('/')[0].matches('^(.+[.])?(kubernetes[.]io|k8s[.]io|stevedore[.]dev)$'))",messageExpression="'label \"' + self.filter(k, k.contains('/') && !k.split('/')[0].matches('^(.+[.])?(node|node-restriction)[.]kubernetes[.]io$') && k.split('/')[0].matches('^(.+[.])?(kubernetes[.]io|k8s[.]io|stevedore[.]dev)$'))[0] + '\" is in a restricted domain (kubernetes.io, k8s.io, stevedore.dev); only node.kubernetes.io and node-restriction.kubernetes.io labels may be set'"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k in ['node.kubernetes.io/instance-type', 'node.kubernetes.io/windows-build']))",message="node.kubernetes.io/instance-type and node.kubernetes.io/windows-build come from the instance; constrain them in spec.template.spec.requirements instead"
	// +optional
	Labels map[string]LabelValue `json:"labels,omitempty"`
	// Annotations for the nodes.
	// +kubebuilder:validation:MaxProperties=100
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// NodeClaimTemplateSpec is the NodeClaimSpec a NodePool stamps out, minus what the provisioner decides
// (resources) and with the requirement keys restricted to those users may constrain.
type NodeClaimTemplateSpec struct {
	// Taints every node of the pool carries; only pods that tolerate them land there.
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:XValidation:rule="self.all(t, self.exists_one(u, u.key == t.key && u.effect == t.effect))",message="each taint key and effect pair may appear only once"
	// +listType=atomic
	// +optional
	Taints []Taint `json:"taints,omitempty"`
	// StartupTaints are placed on nodes at boot and removed by another agent once it is ready; pods need not
	// tolerate them.
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:XValidation:rule="self.all(t, self.exists_one(u, u.key == t.key && u.effect == t.effect))",message="each startup taint key and effect pair may appear only once"
	// +listType=atomic
	// +optional
	StartupTaints []Taint `json:"startupTaints,omitempty"`
	// Requirements constrain the instances the pool may launch: instance types, families, zones, capacity
	// types, architectures, or any custom label key (which then becomes a label on the node).
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:XValidation:rule="self.key in ['topology.kubernetes.io/zone', 'topology.kubernetes.io/region', 'node.kubernetes.io/instance-type', 'kubernetes.io/arch', 'kubernetes.io/os', 'node.kubernetes.io/windows-build', 'stevedore.dev/capacity-type'] || self.key.startsWith('aws.stevedore.dev/instance-') || !self.key.contains('/') || self.key.split('/')[0].matches('^(.+[.])?(node|node-restriction)[.]kubernetes[.]io$') || !self.key.split('/')[0].matches('^(.+[.])?(kubernetes[.]io|k8s[.]io|stevedore[.]dev)$')",messageExpression="'requirement key \"' + self.key + '\" is restricted; allowed are the well-known keys (zone, region, instance-type, arch, os, stevedore.dev/capacity-type, aws.stevedore.dev/instance-*) and keys outside kubernetes.io, k8s.io and stevedore.dev'",fieldPath=".key"
	// +kubebuilder:validation:items:XValidation:rule="self.key != 'stevedore.dev/capacity-type' || !has(self.values) || self.values.all(v, v in ['on-demand', 'spot', 'reserved'])",message="stevedore.dev/capacity-type values must be on-demand, spot or reserved",fieldPath=".values"
	// +listType=atomic
	// +optional
	Requirements []NodeSelectorRequirementWithMinValues `json:"requirements,omitempty"`
	// NodeClassRef names the EC2NodeClass nodes are launched from. Its group and kind cannot change; its name
	// can (existing nodes then drift).
	// +required
	NodeClassRef *NodeClassReference `json:"nodeClassRef"`
	// TerminationGracePeriod bounds how long a draining node waits for pods that block eviction before they
	// are deleted anyway. Unset means wait for ever.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(s|m|h))+$')",message="must be a duration of whole seconds, minutes or hours such as 30s, 15m or 48h"
	// +optional
	TerminationGracePeriod *metav1.Duration `json:"terminationGracePeriod,omitempty"`
	// ExpireAfter is how long after launch a node is replaced, or Never. It bounds the age of every node, which
	// keeps AMIs and kernels fresh.
	// +kubebuilder:default="720h"
	// +optional
	ExpireAfter NillableDuration `json:"expireAfter,omitzero"`
}

// ConsolidationPolicy says which nodes consolidation may remove.
//
// +kubebuilder:validation:Enum=WhenEmpty;WhenEmptyOrUnderutilized
type ConsolidationPolicy string

// Consolidation policies.
const (
	ConsolidationPolicyWhenEmpty                = ConsolidationPolicy("WhenEmpty")
	ConsolidationPolicyWhenEmptyOrUnderutilized = ConsolidationPolicy("WhenEmptyOrUnderutilized")
)

// DisruptionReason is why a node is being disrupted.
//
// +kubebuilder:validation:Enum=Empty;Underutilized;Drifted;Expired
type DisruptionReason string

// Disruption reasons.
const (
	DisruptionReasonEmpty         = DisruptionReason("Empty")
	DisruptionReasonUnderutilized = DisruptionReason("Underutilized")
	DisruptionReasonDrifted       = DisruptionReason("Drifted")
	DisruptionReasonExpired       = DisruptionReason("Expired")
)

// Disruption configures voluntary disruption of a pool's nodes.
type Disruption struct {
	// ConsolidationPolicy: WhenEmpty removes only nodes without workload pods; WhenEmptyOrUnderutilized also
	// replaces nodes whose pods fit elsewhere or on a cheaper node.
	// +kubebuilder:default=WhenEmptyOrUnderutilized
	// +optional
	ConsolidationPolicy ConsolidationPolicy `json:"consolidationPolicy,omitempty"`
	// ConsolidateAfter is how long a node must go without a pod arriving or leaving before consolidation
	// considers it, or Never.
	// +required
	ConsolidateAfter NillableDuration `json:"consolidateAfter"`
	// Consolidation tunes how consolidation trades savings against disruption.
	// +optional
	Consolidation Consolidation `json:"consolidation,omitzero"`
	// Budgets cap how many nodes may be disrupted at once. The most restrictive active budget wins.
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:default={{nodes: "10%"}}
	// +listType=atomic
	// +optional
	Budgets []Budget `json:"budgets,omitempty"`
}

// ConsolidationMode says whether consolidation may launch nodes.
//
// +kubebuilder:validation:Enum=DeleteOrReplace;DeleteOnly
type ConsolidationMode string

// Consolidation modes.
const (
	// ConsolidationModeDeleteOrReplace removes nodes whose pods fit elsewhere and replaces nodes with cheaper ones.
	ConsolidationModeDeleteOrReplace = ConsolidationMode("DeleteOrReplace")
	// ConsolidationModeDeleteOnly only removes nodes whose pods fit on the nodes that remain; it never launches a
	// node to consolidate, so each disruption moves pods once.
	ConsolidationModeDeleteOnly = ConsolidationMode("DeleteOnly")
)

// Consolidation tunes consolidation against churn.
type Consolidation struct {
	// Mode: DeleteOrReplace (the default) removes nodes and replaces them with cheaper ones; DeleteOnly never
	// launches a replacement, so pods move only onto nodes that already run.
	// +kubebuilder:default=DeleteOrReplace
	// +optional
	Mode ConsolidationMode `json:"mode,omitempty"`
	// MinSavings, when set, leaves a node alone unless consolidating it saves at least this much. Off by default:
	// any saving is taken.
	// +optional
	MinSavings *Savings `json:"minSavings,omitempty"`
}

// Savings is a threshold a consolidation must clear; every field set must be met.
//
// +kubebuilder:validation:XValidation:rule="has(self.perPodPerHour) || has(self.percent)",message="minSavings needs perPodPerHour, percent or both; remove minSavings to take any saving"
type Savings struct {
	// PerPodPerHour is the least saving, in US dollars per hour, for each pod the consolidation moves, as a
	// decimal string such as "0.002". Moving 10 pods to save $0.015/h fails a "0.002" threshold.
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]+([.][0-9]+)?$')",message="perPodPerHour must be a decimal number of dollars such as '0.002'"
	// +optional
	PerPodPerHour *string `json:"perPodPerHour,omitempty"`
	// Percent is the least saving as a percentage of the disrupted nodes' price, from 1 to 100.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	Percent *int32 `json:"percent,omitempty"`
}

// Budget caps voluntary disruption, always or during a recurring window.
//
// +kubebuilder:validation:XValidation:rule="has(self.schedule) == has(self.duration)",message="schedule and duration go together: set both for a recurring window, or neither for an always-active budget"
// +kubebuilder:validation:XValidation:rule="has(self.timeZone) ? has(self.schedule) : true",message="timeZone applies to schedule; set schedule and duration too, or remove timeZone",fieldPath=".timeZone"
type Budget struct {
	// Reasons this budget applies to; empty means all reasons.
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	// +optional
	Reasons []DisruptionReason `json:"reasons,omitempty"`
	// Nodes is how many of the pool's nodes may be disrupted at once: a count such as "5" or a percentage of
	// the pool such as "10%". "0" blocks disruption.
	// +kubebuilder:default="10%"
	// +kubebuilder:validation:XValidation:rule="self.matches('^((100|[0-9]{1,2})%|[0-9]+)$')",message="nodes must be a whole number such as '5' or a percentage from 0% to 100% such as '10%'"
	// +kubebuilder:validation:MaxLength=16
	// +optional
	Nodes string `json:"nodes"`
	// Schedule is a cron expression (minute hour day-of-month month day-of-week, or a macro such as @daily)
	// at which the budget becomes active for Duration.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|([*]|[0-5]?[0-9](-[0-5]?[0-9])?)(/[0-9]+)?(,([*]|[0-5]?[0-9](-[0-5]?[0-9])?)(/[0-9]+)?)* +([*]|(2[0-3]|[01]?[0-9])(-(2[0-3]|[01]?[0-9]))?)(/[0-9]+)?(,([*]|(2[0-3]|[01]?[0-9])(-(2[0-3]|[01]?[0-9]))?)(/[0-9]+)?)* +([*]|(3[01]|[12][0-9]|0?[1-9])(-(3[01]|[12][0-9]|0?[1-9]))?)(/[0-9]+)?(,([*]|(3[01]|[12][0-9]|0?[1-9])(-(3[01]|[12][0-9]|0?[1-9]))?)(/[0-9]+)?)* +([*]|(1[0-2]|0?[1-9])(-(1[0-2]|0?[1-9]))?|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?(,([*]|(1[0-2]|0?[1-9])(-(1[0-2]|0?[1-9]))?|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?)* +([*]|[0-7](-[0-7])?|(?i:sun|mon|tue|wed|thu|fri|sat)(-(?i:sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?(,([*]|[0-7](-[0-7])?|(?i:sun|mon|tue|wed|thu|fri|sat)(-(?i:sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?)*)$')",message="schedule must be a cron expression of five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-7 or sun-sat) such as '0 9 * * mon-fri', or @yearly, @monthly, @weekly, @daily or @hourly"
	// +optional
	Schedule *string `json:"schedule,omitempty"`
	// Duration is how long the budget stays active after each scheduled start.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(s|m|h))+$')",message="must be a duration of whole seconds, minutes or hours such as 30m or 8h"
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`
	// TimeZone is the IANA time zone Schedule is read in, such as Europe/Berlin or America/New_York. Default
	// UTC.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$') && self != 'Local' && timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",message="timeZone must be an IANA time zone name such as UTC, Europe/Berlin or America/New_York"
	// +optional
	TimeZone *string `json:"timeZone,omitempty"`
}

// NodePoolStatus is what the pool's status controller observed.
type NodePoolStatus struct {
	// Resources is the total capacity of the pool's nodes, including "nodes", the node count, which
	// spec.limits are checked against.
	// +optional
	Resources corev1.ResourceList `json:"resources,omitempty"`
	// Conditions: NodeClassReady, ValidationSucceeded, and Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// NodePool is a policy for launching and disrupting nodes. Pending pods that no existing node can run are
// packed onto new nodes from the pool whose requirements, taints and limits admit them.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=nodepools,scope=Cluster,categories=stevedore,shortName=np
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="NodeClass",type=string,JSONPath=".spec.template.spec.nodeClassRef.name"
// +kubebuilder:printcolumn:name="Nodes",type=string,JSONPath=".status.resources.nodes"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Weight",type=integer,JSONPath=".spec.weight",priority=1
// +kubebuilder:printcolumn:name="CPU",type=string,JSONPath=".status.resources.cpu",priority=1
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=".status.resources.memory",priority=1
type NodePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec NodePoolSpec `json:"spec"`
	// +optional
	Status NodePoolStatus `json:"status,omitempty"`
}

// NodePoolList is a list of NodePools.
//
// +kubebuilder:object:root=true
type NodePoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodePool `json:"items"`
}

// LabelValue is the value of a node label: at most 63 letters, digits, '-', '_' or '.', starting and ending
// with a letter or digit, or empty.
//
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="self.matches('^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$')",message="label values must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
type LabelValue string
