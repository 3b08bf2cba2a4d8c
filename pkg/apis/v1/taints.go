package v1

import corev1 "k8s.io/api/core/v1"

// Taint is a taint a launched node carries. It has corev1.Taint's fields and JSON form, bounded and validated
// so that a bad key or effect is rejected when the NodePool is written rather than when the node registers.
type Taint struct {
	// Key is a qualified name such as example.com/dedicated.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=316
	// +kubebuilder:validation:XValidation:rule="self.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$')",message="taint key must be a qualified name such as example.com/dedicated: an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.'"
	// +required
	Key string `json:"key"`
	// Value is optional; when set, at most 63 letters, digits, '-', '_' or '.'.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$')",message="taint value must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +optional
	Value string `json:"value,omitempty"`
	// Effect is NoSchedule, PreferNoSchedule or NoExecute.
	// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
	// +required
	Effect corev1.TaintEffect `json:"effect"`
}

// ToCore returns the taint as the core API type the scheduler helpers take.
func (t Taint) ToCore() corev1.Taint {
	return corev1.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect}
}

// CoreTaints converts taints to the core API type.
func CoreTaints(taints []Taint) []corev1.Taint {
	out := make([]corev1.Taint, len(taints))
	for i, t := range taints {
		out[i] = t.ToCore()
	}
	return out
}
