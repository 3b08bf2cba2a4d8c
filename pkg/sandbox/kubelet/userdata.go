package kubelet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Config is what a node's user data tells its kubelet to register with.
type Config struct {
	// MaxPods is the kubelet's pod limit; zero when the user data leaves it to the default.
	MaxPods int64
	// Labels and Taints are the ones the node registers with.
	Labels map[string]string
	Taints []corev1.Taint
	// KubeReserved, SystemReserved and EvictionHard are kubelet settings, by resource or eviction signal.
	KubeReserved, SystemReserved, EvictionHard map[string]string
}

// nodeConfigType is the MIME type of nodeadm's NodeConfig part in Amazon Linux 2023 user data.
const nodeConfigType = "application/node.eks.aws"

// ParseUserData reads the kubelet settings from user data: the NodeConfig of an Amazon Linux 2023 MIME
// document (or a bare NodeConfig), or Bottlerocket's TOML settings. User data that configures no kubelet (a
// shell script, say, or none at all) yields an empty Config.
func ParseUserData(userData string) (Config, error) {
	trimmed := strings.TrimSpace(userData)
	switch {
	case trimmed == "":
		return Config{}, nil
	case strings.HasPrefix(trimmed, "MIME-Version:") || strings.HasPrefix(trimmed, "Content-Type:"):
		return parseMIME(userData)
	case strings.HasPrefix(trimmed, "#!"):
		return Config{}, nil // a script configures no kubelet
	case isBottlerocket(trimmed):
		return parseBottlerocket(userData)
	case strings.Contains(userData, "kind: NodeConfig"):
		return parseNodeConfig([]byte(userData))
	}
	return Config{}, nil
}

// isBottlerocket reports whether the first line that is not a comment is a Bottlerocket setting or table.
func isBottlerocket(doc string) bool {
	for line := range strings.SplitSeq(doc, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return strings.HasPrefix(line, "[settings") || strings.HasPrefix(line, "settings.")
	}
	return false
}

// parseMIME reads the NodeConfig parts of a MIME multipart document; nodeadm merges several in order, and so
// does this, a later part's settings replacing an earlier one's.
func parseMIME(doc string) (Config, error) {
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(doc)))
	header, err := r.ReadMIMEHeader()
	if err != nil {
		return Config{}, fmt.Errorf("reading the MIME header of the user data: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") || params["boundary"] == "" {
		return Config{}, errors.New("user data is a MIME document without a multipart boundary")
	}
	mr := multipart.NewReader(r.R, params["boundary"])
	var out Config
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return Config{}, fmt.Errorf("reading a MIME part of the user data: %w", err)
		}
		partType, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if partType != nodeConfigType {
			continue
		}
		body, err := io.ReadAll(p)
		if err != nil {
			return Config{}, fmt.Errorf("reading the NodeConfig part of the user data: %w", err)
		}
		c, err := parseNodeConfig(body)
		if err != nil {
			return Config{}, err
		}
		out.merge(c)
	}
}

// nodeConfig is the part of nodeadm's NodeConfig (node.eks.aws/v1alpha1) that shapes the Node.
type nodeConfig struct {
	Kind string `json:"kind"`
	Spec struct {
		Kubelet struct {
			Config struct {
				MaxPods            int64             `json:"maxPods"`
				KubeReserved       map[string]string `json:"kubeReserved"`
				SystemReserved     map[string]string `json:"systemReserved"`
				EvictionHard       map[string]string `json:"evictionHard"`
				RegisterWithTaints []corev1.Taint    `json:"registerWithTaints"`
			} `json:"config"`
			Flags []string `json:"flags"`
		} `json:"kubelet"`
	} `json:"spec"`
}

func parseNodeConfig(doc []byte) (Config, error) {
	var nc nodeConfig
	if err := yaml.Unmarshal(doc, &nc); err != nil {
		return Config{}, fmt.Errorf("decoding the NodeConfig in the user data: %w", err)
	}
	if nc.Kind != "NodeConfig" {
		return Config{}, fmt.Errorf("user data part of type %s is a %q, not a NodeConfig", nodeConfigType, nc.Kind)
	}
	k := nc.Spec.Kubelet
	c := Config{
		MaxPods: k.Config.MaxPods, Taints: k.Config.RegisterWithTaints,
		KubeReserved: k.Config.KubeReserved, SystemReserved: k.Config.SystemReserved, EvictionHard: k.Config.EvictionHard,
	}
	for _, flag := range k.Flags {
		if err := c.flag(flag); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// flag applies the kubelet command-line flags that shape the Node: --node-labels and --register-with-taints,
// written --name=value (nodeadm passes each flag as one string).
func (c *Config) flag(flag string) error {
	name, value, _ := strings.Cut(flag, "=")
	switch name {
	case "--node-labels":
		labels, err := keyValues(value)
		if err != nil {
			return fmt.Errorf("reading kubelet flag --node-labels: %w", err)
		}
		c.Labels = labels
	case "--register-with-taints":
		c.Taints = nil
		for item := range strings.SplitSeq(value, ",") {
			t, err := parseTaint(item)
			if err != nil {
				return fmt.Errorf("reading kubelet flag --register-with-taints: %w", err)
			}
			c.Taints = append(c.Taints, t)
		}
	}
	return nil
}

// keyValues reads k1=v1,k2=v2.
func keyValues(list string) (map[string]string, error) {
	out := map[string]string{}
	for item := range strings.SplitSeq(list, ",") {
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", item)
		}
		out[k] = v
	}
	return out, nil
}

// parseTaint reads key[=value]:Effect, as kubelet's --register-with-taints and Bottlerocket's key = ["value:Effect"]
// (with the key given separately) spell a taint.
func parseTaint(s string) (corev1.Taint, error) {
	rest, effect, ok := strings.Cut(s, ":")
	if !ok {
		return corev1.Taint{}, fmt.Errorf("taint %q has no effect", s)
	}
	key, value, _ := strings.Cut(rest, "=")
	t := corev1.Taint{Key: key, Value: value, Effect: corev1.TaintEffect(effect)}
	switch t.Effect {
	case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		return t, nil
	}
	return corev1.Taint{}, fmt.Errorf("taint %q has an unknown effect", s)
}

// merge lays c over the settings read so far, as nodeadm merges NodeConfig parts: what a later part sets wins.
func (c *Config) merge(later Config) {
	if later.MaxPods != 0 {
		c.MaxPods = later.MaxPods
	}
	if later.Labels != nil {
		c.Labels = later.Labels
	}
	if later.Taints != nil {
		c.Taints = later.Taints
	}
	c.KubeReserved = mergeMaps(c.KubeReserved, later.KubeReserved)
	c.SystemReserved = mergeMaps(c.SystemReserved, later.SystemReserved)
	c.EvictionHard = mergeMaps(c.EvictionHard, later.EvictionHard)
}

func mergeMaps(earlier, later map[string]string) map[string]string {
	if len(later) == 0 {
		return earlier
	}
	out := map[string]string{}
	for k, v := range earlier {
		out[k] = v
	}
	for k, v := range later {
		out[k] = v
	}
	return out
}
