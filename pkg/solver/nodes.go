package solver

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// node is capacity in the solve: an existing node, an in-flight claim or a new node opened by this plan.
type node struct {
	name   string
	labels map[string]string
	sig    int // interned labels (hostname aside) and taints: nodes with equal sig admit the same classes
	taints []corev1.Taint
	free   vector
	ports  []string
	placed []types.NamespacedName
	// classes placed on the node, with counts, in first-placement order.
	classes []*class
	counts  map[*class]int
	// New nodes only.
	isNew    bool
	pt       *poolType
	offering cloudprovider.Offering
	alt      scheduling.Requirements
	index    int
	resized  bool
}

// signatures interns node label sets and taints.
type signatures map[string]int

func (s signatures) of(labels map[string]string, taints []corev1.Taint) int {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != corev1.LabelHostname {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
		b.WriteByte(';')
	}
	b.WriteByte('|')
	for _, t := range taints {
		b.WriteString(t.ToString())
		b.WriteByte(';')
	}
	key := b.String()
	id, ok := s[key]
	if !ok {
		id = len(s)
		s[key] = id
	}
	return id
}

// matchesLabels reports whether concrete node labels satisfy reqs: present keys must have an allowed value,
// absent keys must be allowed to be absent.
func matchesLabels(reqs scheduling.Requirements, labels map[string]string) bool {
	for k, r := range reqs {
		if v, ok := labels[k]; ok {
			if !r.Has(v) {
				return false
			}
		} else if !r.AllowsAbsent() {
			return false
		}
	}
	return true
}

func (n *node) portsFree(ports []string) bool {
	for _, p := range ports {
		for _, used := range n.ports {
			if portsConflict(p, used) {
				return false
			}
		}
	}
	return true
}
