package v1

import (
	"encoding/json"
	"fmt"
	"time"
)

// Never is the NillableDuration value that disables a timer (expiry, consolidation).
const Never = "Never"

// NillableDuration is a duration that may also be "Never". It serialises as a string: "720h", "30m", "Never".
// The zero value means unset and is omitted from JSON, so the API server's default applies.
//
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="self == 'Never' || self.matches('^([0-9]+(s|m|h))+$')",message="must be a duration of whole seconds, minutes or hours such as 30s, 15m or 720h, or 'Never'"
type NillableDuration struct {
	// Duration is the value; nil when unset or Never.
	Duration *time.Duration `json:"-"`
	// Never is true when the value is "Never".
	Never bool `json:"-"`
}

// MustParseNillableDuration parses s and panics on error. It exists for tests and constant defaults only.
func MustParseNillableDuration(s string) NillableDuration {
	var d NillableDuration
	if err := d.UnmarshalJSON([]byte(fmt.Sprintf("%q", s))); err != nil {
		panic(err)
	}
	return d
}

// NewNillableDuration returns a NillableDuration holding d.
func NewNillableDuration(d time.Duration) NillableDuration { return NillableDuration{Duration: &d} }

// IsNever reports whether the duration is "Never".
func (d NillableDuration) IsNever() bool { return d.Never }

// IsZero reports whether the duration is unset; JSON encoding omits it (the field is tagged omitzero).
func (d NillableDuration) IsZero() bool { return d.Duration == nil && !d.Never }

// String returns the canonical form: "Never", a Go duration string, or "" when unset.
func (d NillableDuration) String() string {
	switch {
	case d.Never:
		return Never
	case d.Duration == nil:
		return ""
	default:
		return d.Duration.String()
	}
}

// UnmarshalJSON accepts a JSON string holding "Never" or a Go duration, or null for unset.
func (d *NillableDuration) UnmarshalJSON(b []byte) error {
	*d = NillableDuration{}
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string: %w", err)
	}
	if s == Never {
		d.Never = true
		return nil
	}
	parsed, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("parsing duration %q: %w", s, err)
	}
	d.Duration = &parsed
	return nil
}

// MarshalJSON writes the canonical string form, or null when unset.
func (d NillableDuration) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// ToUnstructured lets the structured-merge-diff and unstructured converters see a string, not a struct.
func (d NillableDuration) ToUnstructured() interface{} {
	if d.IsZero() {
		return nil
	}
	return d.String()
}
