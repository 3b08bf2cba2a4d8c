package kubelet

import (
	"fmt"
	"strconv"
	"strings"
)

// kubernetesTable is where Bottlerocket keeps the kubelet's settings.
const kubernetesTable = "settings.kubernetes"

// parseBottlerocket reads the kubelet settings from Bottlerocket's TOML user data: max-pods and the
// node-labels, node-taints, kube-reserved, system-reserved and eviction-hard tables under settings.kubernetes.
// It understands the TOML that settings are written in (tables, dotted and quoted keys, strings, integers,
// booleans and arrays of strings on one line), which is all Bottlerocket's documented settings need.
func parseBottlerocket(doc string) (Config, error) {
	var c Config
	table := ""
	for n, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || strings.HasPrefix(line, "[[") {
				return Config{}, fmt.Errorf("user data line %d: %q is not a TOML table header", n+1, line)
			}
			keys, err := splitKey(strings.TrimSpace(line[1 : len(line)-1]))
			if err != nil {
				return Config{}, fmt.Errorf("user data line %d: %w", n+1, err)
			}
			table = strings.Join(keys, ".")
			continue
		}
		rawKey, rawValue, ok := strings.Cut(line, "=")
		if !ok {
			return Config{}, fmt.Errorf("user data line %d: %q is not key = value", n+1, line)
		}
		keys, err := splitKey(strings.TrimSpace(rawKey))
		if err != nil {
			return Config{}, fmt.Errorf("user data line %d: %w", n+1, err)
		}
		value, err := parseValue(strings.TrimSpace(rawValue))
		if err != nil {
			return Config{}, fmt.Errorf("user data line %d: %w", n+1, err)
		}
		path := keys
		if table != "" {
			path = append(strings.Split(table, "."), keys...)
		}
		if err := c.setting(path, value); err != nil {
			return Config{}, fmt.Errorf("user data line %d: %w", n+1, err)
		}
	}
	return c, nil
}

// setting applies one Bottlerocket setting, named by its full path of keys; settings that do not shape the
// Node are ignored.
func (c *Config) setting(path []string, value []string) error {
	parent := strings.Join(path[:len(path)-1], ".")
	key := path[len(path)-1]
	if parent == kubernetesTable+".node-taints" {
		for _, v := range value {
			t, err := parseTaint(key + "=" + v)
			if err != nil {
				return err
			}
			c.Taints = append(c.Taints, t)
		}
		return nil
	}
	var target *map[string]string
	switch parent {
	case kubernetesTable:
		if key != "max-pods" {
			return nil
		}
	case kubernetesTable + ".node-labels":
		target = &c.Labels
	case kubernetesTable + ".kube-reserved":
		target = &c.KubeReserved
	case kubernetesTable + ".system-reserved":
		target = &c.SystemReserved
	case kubernetesTable + ".eviction-hard":
		target = &c.EvictionHard
	default:
		return nil
	}
	if len(value) != 1 {
		return fmt.Errorf("%s.%s takes one value, not %d", parent, key, len(value))
	}
	if target == nil { // max-pods
		n, err := strconv.ParseInt(value[0], 10, 64)
		if err != nil {
			return fmt.Errorf("max-pods %q is not an integer", value[0])
		}
		c.MaxPods = n
		return nil
	}
	if *target == nil {
		*target = map[string]string{}
	}
	(*target)[key] = value[0]
	return nil
}

// splitKey splits a dotted TOML key into its parts, keeping dots inside quoted parts
// ("stevedore.dev/nodepool" is one key).
func splitKey(s string) ([]string, error) {
	var keys []string
	for s != "" {
		var key string
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("key %q has an unterminated quote", s)
			}
			key, s = s[1:end+1], strings.TrimSpace(s[end+2:])
		} else {
			i := strings.IndexByte(s, '.')
			if i < 0 {
				i = len(s)
			}
			key, s = strings.TrimSpace(s[:i]), s[i:]
		}
		if key == "" {
			return nil, fmt.Errorf("empty key in %q", s)
		}
		keys = append(keys, key)
		if s != "" {
			if s[0] != '.' {
				return nil, fmt.Errorf("unexpected %q after key %q", s, key)
			}
			s = strings.TrimSpace(s[1:])
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("empty key")
	}
	return keys, nil
}

// parseValue reads a string, integer or boolean as one value, or an array of strings as many.
func parseValue(s string) ([]string, error) {
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("array %q does not end on its line", s)
		}
		var out []string
		for item := range strings.SplitSeq(s[1:len(s)-1], ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue // a trailing comma
			}
			v, err := strconv.Unquote(item)
			if err != nil {
				return nil, fmt.Errorf("array item %s is not a string", item)
			}
			out = append(out, v)
		}
		return out, nil
	}
	if strings.HasPrefix(s, `"`) {
		v, err := strconv.Unquote(s)
		if err != nil {
			return nil, fmt.Errorf("value %s is not a TOML string", s)
		}
		return []string{v}, nil
	}
	if s == "" {
		return nil, fmt.Errorf("missing value")
	}
	return []string{s}, nil
}
