package awssim

import (
	"maps"
	"slices"
	"strings"
)

// filter is one Filter.N of a Describe request: a resource matches when one of its values for Name matches one
// of Values, where * and ? are wildcards as on EC2.
type filter struct {
	name   string
	values []string
}

// filters reads Filter.N.Name and Filter.N.Value.M.
func (p params) filters() ([]filter, error) {
	var out []filter
	for _, m := range p.members("Filter") {
		f := filter{name: p.str(m + ".Name"), values: p.strs(m + ".Value")}
		if f.name == "" {
			return nil, clientError("InvalidParameterValue", "The filter name must not be empty.")
		}
		out = append(out, f)
	}
	return out, nil
}

// fields returns a resource's values for a filter name, and false when the resource does not know the name.
type fields func(name string) ([]string, bool)

// match reports whether a resource with the given tags and fields passes every filter. Tag filters (tag:Key and
// tag-key) are handled here for every resource; an unknown filter name is an error, as on EC2.
func match(filters []filter, tags map[string]string, fieldsOf fields) (bool, error) {
	for _, f := range filters {
		var have []string
		switch {
		case strings.HasPrefix(f.name, "tag:"):
			if v, ok := tags[strings.TrimPrefix(f.name, "tag:")]; ok {
				have = []string{v}
			}
		case f.name == "tag-key":
			have = slices.Sorted(maps.Keys(tags))
		default:
			var ok bool
			if have, ok = fieldsOf(f.name); !ok {
				return false, clientError("InvalidParameterValue", "The filter '%s' is invalid", f.name)
			}
		}
		if !anyMatch(f.values, have) {
			return false, nil
		}
	}
	return true, nil
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if glob(p, v) {
				return true
			}
		}
	}
	return false
}

// glob matches s against a pattern where * is any run of characters and ? any one character. Unlike path.Match
// it treats / as an ordinary character, since tag values often contain one.
func glob(pattern, s string) bool {
	for pattern != "" {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if glob(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}

// xmlTag is one item of a tagSet.
type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// tagSet returns tags sorted by key, for stable responses.
func tagSet(tags map[string]string) []xmlTag {
	out := make([]xmlTag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, xmlTag{Key: k, Value: tags[k]})
	}
	return out
}
