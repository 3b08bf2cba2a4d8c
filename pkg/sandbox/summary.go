package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Summary is one moment of the sandbox as its status line shows it.
type Summary struct {
	// Nodes counts the Nodes by instance type and capacity type.
	Nodes map[NodeKind]int
	// PendingPods counts pods not yet bound to a node.
	PendingPods int
	// DollarsPerHour is what the launched instances cost together.
	DollarsPerHour float64
}

// NodeKind is an instance type bought one way.
type NodeKind struct {
	// InstanceType is the EC2 instance type, such as m5.large.
	InstanceType string
	// CapacityType is on-demand or spot.
	CapacityType string
}

// PriceFunc is the hourly price of one instance, false when unknown.
type PriceFunc func(instanceType, zone, capacityType string) (float64, bool)

// String is the one-line form printed every few seconds.
func (s Summary) String() string {
	kinds := make([]NodeKind, 0, len(s.Nodes))
	total := 0
	for k, n := range s.Nodes {
		kinds = append(kinds, k)
		total += n
	}
	slices.SortFunc(kinds, func(a, b NodeKind) int {
		return strings.Compare(a.InstanceType+" "+a.CapacityType, b.InstanceType+" "+b.CapacityType)
	})
	var b strings.Builder
	fmt.Fprintf(&b, "nodes %d", total)
	if len(kinds) > 0 {
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%d %s/%s", s.Nodes[k], k.InstanceType, k.CapacityType)
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ", pending pods %d, $%.4f/hour", s.PendingPods, s.DollarsPerHour)
	return b.String()
}

// summarize reads the cluster into a Summary. Cost comes from the NodeClaims that have an instance, since a
// launched instance costs money before its Node registers and after the Node is gone.
func summarize(ctx context.Context, c client.Reader, price PriceFunc) (Summary, error) {
	s := Summary{Nodes: map[NodeKind]int{}}
	nodes := &corev1.NodeList{}
	if err := c.List(ctx, nodes); err != nil {
		return s, fmt.Errorf("listing nodes: %w", err)
	}
	for _, n := range nodes.Items {
		s.Nodes[NodeKind{n.Labels[corev1.LabelInstanceTypeStable], n.Labels[v1.CapacityTypeLabelKey]}]++
	}
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods); err != nil {
		return s, fmt.Errorf("listing pods: %w", err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" && p.Status.Phase == corev1.PodPending {
			s.PendingPods++
		}
	}
	claims := &v1.NodeClaimList{}
	if err := c.List(ctx, claims); err != nil {
		return s, fmt.Errorf("listing nodeclaims: %w", err)
	}
	for _, nc := range claims.Items {
		if nc.Status.ProviderID == "" {
			continue
		}
		l := nc.Labels
		if p, ok := price(l[corev1.LabelInstanceTypeStable], l[corev1.LabelTopologyZone], l[v1.CapacityTypeLabelKey]); ok {
			s.DollarsPerHour += p
		}
	}
	return s, nil
}

// priceFunc prices on-demand instances from the catalog and spot ones at the simulator's current spot price,
// falling back to on-demand when the simulator has none.
func priceFunc(onDemand map[string]float64, spot func(instanceType, zone string, at time.Time) (float64, bool), now func() time.Time) PriceFunc {
	return func(instanceType, zone, capacityType string) (float64, bool) {
		if capacityType == v1.CapacityTypeSpot && spot != nil {
			if p, ok := spot(instanceType, zone, now()); ok {
				return p, true
			}
		}
		p, ok := onDemand[instanceType]
		return p, ok
	}
}
