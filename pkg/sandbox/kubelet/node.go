package kubelet

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// KwokAnnotation marks a Node as one kwok manages in place of a kubelet; the sandbox runs kwok with a matching
// annotation selector.
const KwokAnnotation = "kwok.x-k8s.io/node"

// Node is the Node a real instance's kubelet would register for in, with the settings cfg read from its user
// data: named after its private DNS name, with its provider ID, well-known labels, the user data's labels and
// taints, and capacity and allocatable from Stevedore's capacity model with the user data's max pods and
// reservations. It fails for an instance type the catalog does not know.
func Node(in awssim.Instance, cfg Config, region string, vmMemoryOverheadPercent float64) (*corev1.Node, error) {
	facts, ok := catalog.Lookup(in.InstanceType)
	if !ok {
		return nil, fmt.Errorf("looking up instance type %s: not in the catalog", in.InstanceType)
	}
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	// The kubelet sets these itself, over any the flags name.
	for k, v := range map[string]string{
		corev1.LabelHostname:           in.PrivateDNSName,
		corev1.LabelOSStable:           "linux",
		corev1.LabelArchStable:         facts.Architecture,
		corev1.LabelInstanceTypeStable: in.InstanceType,
		corev1.LabelTopologyZone:       in.Zone,
		corev1.LabelTopologyRegion:     region,
	} {
		labels[k] = v
	}
	nc := nodeClass(cfg)
	capacity := instancetype.Capacity(facts, nc, vmMemoryOverheadPercent)
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        in.PrivateDNSName,
			Labels:      labels,
			Annotations: map[string]string{KwokAnnotation: "fake"},
		},
		Spec: corev1.NodeSpec{ProviderID: instance.ProviderID(in.Zone, in.ID), Taints: cfg.Taints},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: allocatable(capacity, facts.VCPU, nc),
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: in.PrivateIP},
				{Type: corev1.NodeHostName, Address: in.PrivateDNSName},
				{Type: corev1.NodeInternalDNS, Address: in.PrivateDNSName},
			},
			NodeInfo: corev1.NodeSystemInfo{Architecture: facts.Architecture, OperatingSystem: "linux"},
		},
	}, nil
}

// nodeClass expresses the user data's kubelet settings as an EC2NodeClass, the input Stevedore's capacity model
// takes, so that the Node gets the capacity the controller predicted for the same settings. Values that are
// not quantities are left out, as the kubelet would refuse them rather than guess.
func nodeClass(cfg Config) *awsv1.EC2NodeClass {
	k := &awsv1.KubeletConfiguration{}
	if cfg.MaxPods > 0 {
		pods := int32(min(cfg.MaxPods, 1<<31-1))
		k.MaxPods = &pods
	}
	for name, v := range cfg.KubeReserved {
		if _, err := resource.ParseQuantity(v); err == nil {
			k.KubeReserved = setReserved(k.KubeReserved, name, v)
		}
	}
	for name, v := range cfg.SystemReserved {
		if _, err := resource.ParseQuantity(v); err == nil {
			k.SystemReserved = setReserved(k.SystemReserved, name, v)
		}
	}
	for signal, v := range cfg.EvictionHard {
		if _, err := resource.ParseQuantity(strings.TrimSuffix(v, "%")); err == nil {
			if k.EvictionHard == nil {
				k.EvictionHard = map[string]awsv1.EvictionThreshold{}
			}
			k.EvictionHard[signal] = awsv1.EvictionThreshold(v)
		}
	}
	return &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{Kubelet: k}}
}

func setReserved(m map[string]awsv1.ReservedQuantity, k, v string) map[string]awsv1.ReservedQuantity {
	if m == nil {
		m = map[string]awsv1.ReservedQuantity{}
	}
	m[k] = awsv1.ReservedQuantity(v)
	return m
}

// allocatable is capacity less what the kubelet keeps for itself and the system and the eviction headroom, as
// the kubelet computes it; a resource never goes below zero.
func allocatable(capacity corev1.ResourceList, vcpu int32, nc *awsv1.EC2NodeClass) corev1.ResourceList {
	pods := capacity[corev1.ResourcePods]
	out := capacity.DeepCopy()
	for _, reserved := range []corev1.ResourceList{
		instancetype.KubeReserved(vcpu, pods.Value(), nc),
		instancetype.SystemReserved(nc),
		instancetype.EvictionThreshold(capacity, nc),
	} {
		for name, q := range reserved {
			have, ok := out[name]
			if !ok {
				continue
			}
			have.Sub(q)
			if have.Sign() < 0 {
				have = *resource.NewQuantity(0, have.Format)
			}
			out[name] = have
		}
	}
	return out
}
