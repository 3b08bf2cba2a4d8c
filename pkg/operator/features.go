package operator

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Feature gates: behaviour that is off (or on) by default while it proves itself, switched with --feature-gates.
const (
	// FeatureSpotToSpotConsolidation lets consolidation replace a spot node with a cheaper spot node. Off by
	// default: the cheapest spot pools are the likeliest to be interrupted, so chasing them churns nodes.
	FeatureSpotToSpotConsolidation = "SpotToSpotConsolidation"
)

// defaultFeatures are every known gate with its default.
var defaultFeatures = map[string]bool{
	FeatureSpotToSpotConsolidation: false,
}

// FeatureGates says which gated behaviours are on. Its flag form is a comma-separated list of Name=true|false.
type FeatureGates map[string]bool

// Enabled reports whether the named gate is on.
func (g FeatureGates) Enabled(name string) bool {
	if on, ok := g[name]; ok {
		return on
	}
	return defaultFeatures[name]
}

// String renders the gates that differ from nothing, sorted, in flag form.
func (g FeatureGates) String() string {
	parts := make([]string, 0, len(g))
	for _, name := range slices.Sorted(maps.Keys(g)) {
		parts = append(parts, name+"="+strconv.FormatBool(g[name]))
	}
	return strings.Join(parts, ",")
}

// parseFeatureGates reads Name=true|false,... and rejects unknown gates, naming the known ones.
func parseFeatureGates(s string) (FeatureGates, error) {
	out := FeatureGates{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not Name=true or Name=false", part)
		}
		if _, known := defaultFeatures[name]; !known {
			return nil, fmt.Errorf("unknown feature gate %q; known gates: %s", name, strings.Join(slices.Sorted(maps.Keys(defaultFeatures)), ", "))
		}
		on, err := strconv.ParseBool(value)
		if err != nil {
			return nil, fmt.Errorf("feature gate %s=%q: want true or false", name, value)
		}
		out[name] = on
	}
	return out, nil
}

// featureGatesValue is the flag.Value of --feature-gates.
type featureGatesValue struct{ gates *FeatureGates }

// String renders the gates in flag form.
func (v featureGatesValue) String() string {
	if v.gates == nil {
		return ""
	}
	return v.gates.String()
}

// Set parses the flag's value.
func (v featureGatesValue) Set(s string) error {
	g, err := parseFeatureGates(s)
	if err != nil {
		return err
	}
	*v.gates = g
	return nil
}
