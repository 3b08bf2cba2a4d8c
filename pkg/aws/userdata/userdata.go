package userdata

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// MaxSize is the most user data EC2 accepts, in bytes before base64 encoding.
const MaxSize = 16 * 1024

// boundary separates the parts of the AL2023 MIME document; fixed so that output is deterministic.
const boundary = "//stevedore//"

// Node is what a node needs to join the cluster and run as the solver planned.
type Node struct {
	// ClusterName, ClusterEndpoint and ClusterCA (PEM, as the cluster reports it) identify the cluster.
	ClusterName     string
	ClusterEndpoint string
	ClusterCA       []byte
	// ServiceCIDR is the cluster's service network, from which nodeadm derives the cluster DNS address.
	ServiceCIDR string
	// ClusterDNS overrides the DNS servers pods use.
	ClusterDNS []string
	// MaxPods is the kubelet's pod limit for the instance type.
	MaxPods int64
	// KubeReserved, SystemReserved and EvictionHard are kubelet settings, by resource or signal.
	KubeReserved, SystemReserved, EvictionHard map[string]string
	// Labels and Taints the node registers with; Stevedore's own unregistered taint among them.
	Labels map[string]string
	Taints []corev1.Taint
	// Custom is the user's own user data from the EC2NodeClass: a shell script, a cloud-config, or a MIME
	// multipart document whose parts are kept.
	Custom string
}

// AL2023 renders a MIME multipart document: the user's parts first, then a NodeConfig for nodeadm.
func AL2023(n Node) (string, error) {
	if err := n.validate(); err != nil {
		return "", err
	}
	config, err := yaml.Marshal(n.nodeConfig())
	if err != nil {
		return "", err
	}
	custom, err := customParts(n.Custom)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n")
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		return "", err
	}
	for _, p := range append(custom, part{contentType: "application/node.eks.aws", body: string(config)}) {
		h := textproto.MIMEHeader{"Content-Type": {p.contentType}}
		pw, err := w.CreatePart(h)
		if err != nil {
			return "", err
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return checkSize(b.String())
}

// nodeConfig is nodeadm's NodeConfig (node.eks.aws/v1alpha1) as a map, keys in the order YAML writes them.
func (n Node) nodeConfig() map[string]any {
	kubelet := map[string]any{"maxPods": n.MaxPods}
	if len(n.ClusterDNS) > 0 {
		kubelet["clusterDNS"] = n.ClusterDNS
	}
	for key, m := range map[string]map[string]string{"kubeReserved": n.KubeReserved, "systemReserved": n.SystemReserved, "evictionHard": n.EvictionHard} {
		if len(m) > 0 {
			kubelet[key] = m
		}
	}
	if len(n.Taints) > 0 {
		taints := make([]map[string]string, len(n.Taints))
		for i, t := range n.Taints {
			taints[i] = map[string]string{"key": t.Key, "value": t.Value, "effect": string(t.Effect)}
		}
		kubelet["registerWithTaints"] = taints
	}
	spec := map[string]any{
		"cluster": map[string]any{
			"name":                 n.ClusterName,
			"apiServerEndpoint":    n.ClusterEndpoint,
			"certificateAuthority": base64.StdEncoding.EncodeToString(n.ClusterCA),
			"cidr":                 n.ServiceCIDR,
		},
		"kubelet": map[string]any{"config": kubelet, "flags": []string{"--node-labels=" + labelList(n.Labels)}},
	}
	return map[string]any{"apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig", "spec": spec}
}

// Bottlerocket renders TOML settings. User data of its own cannot be merged without a TOML parser and is
// rejected with a clear error until that lands.
func Bottlerocket(n Node) (string, error) {
	if err := n.validate(); err != nil {
		return "", err
	}
	if strings.TrimSpace(n.Custom) != "" {
		return "", errors.New("spec.userData is not supported with Bottlerocket yet; put the settings in the EC2NodeClass instead")
	}
	var b strings.Builder
	b.WriteString("[settings.kubernetes]\n")
	fmt.Fprintf(&b, "cluster-name = %q\napi-server = %q\ncluster-certificate = %q\nmax-pods = %d\n",
		n.ClusterName, n.ClusterEndpoint, base64.StdEncoding.EncodeToString(n.ClusterCA), n.MaxPods)
	if len(n.ClusterDNS) > 0 {
		fmt.Fprintf(&b, "cluster-dns-ip = %q\n", n.ClusterDNS[0])
	}
	table := func(name string, m map[string]string) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n[settings.kubernetes.%s]\n", name)
		for _, k := range sortedKeys(m) {
			fmt.Fprintf(&b, "%q = %q\n", k, m[k])
		}
	}
	table("node-labels", n.Labels)
	if len(n.Taints) > 0 {
		b.WriteString("\n[settings.kubernetes.node-taints]\n")
		byKey := map[string][]string{}
		for _, t := range n.Taints {
			byKey[t.Key] = append(byKey[t.Key], t.Value+":"+string(t.Effect))
		}
		for _, k := range sortedKeys(byKey) {
			quoted := make([]string, len(byKey[k]))
			for i, v := range byKey[k] {
				quoted[i] = fmt.Sprintf("%q", v)
			}
			fmt.Fprintf(&b, "%q = [%s]\n", k, strings.Join(quoted, ", "))
		}
	}
	table("kube-reserved", n.KubeReserved)
	table("system-reserved", n.SystemReserved)
	table("eviction-hard", n.EvictionHard)
	return checkSize(b.String())
}

func (n Node) validate() error {
	var errs []error
	if n.ClusterName == "" {
		errs = append(errs, errors.New("cluster name is empty"))
	}
	if !strings.HasPrefix(n.ClusterEndpoint, "https://") {
		errs = append(errs, fmt.Errorf("cluster endpoint %q is not an https URL", n.ClusterEndpoint))
	}
	if len(n.ClusterCA) == 0 {
		errs = append(errs, errors.New("cluster certificate authority is empty"))
	}
	if n.MaxPods <= 0 {
		errs = append(errs, fmt.Errorf("max pods %d is not positive", n.MaxPods))
	}
	return errors.Join(errs...)
}

type part struct{ contentType, body string }

// customParts splits the user's user data into MIME parts: a multipart document's own parts, or the whole
// text as one part typed by its first line.
func customParts(custom string) ([]part, error) {
	if strings.TrimSpace(custom) == "" {
		return nil, nil
	}
	if strings.HasPrefix(custom, "MIME-Version:") || strings.HasPrefix(custom, "Content-Type:") {
		return mimeParts(custom)
	}
	contentType := "text/x-shellscript; charset=\"us-ascii\""
	if strings.HasPrefix(custom, "#cloud-config") {
		contentType = "text/cloud-config; charset=\"us-ascii\""
	}
	return []part{{contentType: contentType, body: custom}}, nil
}

func mimeParts(doc string) ([]part, error) {
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(doc)))
	header, err := r.ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("spec.userData is not a valid MIME document: %w", err)
	}
	_, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, errors.New("spec.userData is a MIME document without a multipart boundary")
	}
	mr := multipart.NewReader(r.R, params["boundary"])
	var out []part
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("spec.userData: reading a MIME part: %w", err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		out = append(out, part{contentType: p.Header.Get("Content-Type"), body: string(body)})
	}
}

func checkSize(s string) (string, error) {
	if len(s) > MaxSize {
		return "", fmt.Errorf("user data is %d bytes, more than the %d EC2 accepts; shorten spec.userData", len(s), MaxSize)
	}
	return s, nil
}

func labelList(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range sortedKeys(labels) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ",")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
