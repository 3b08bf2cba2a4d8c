package v1

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
)

// Annotations the provisioner stamps on each NodeClaim so that drift can be told from a NodePool edit.
const (
	// NodePoolHashAnnotationKey holds the Hash of the NodePool the claim was created from.
	NodePoolHashAnnotationKey = Group + "/nodepool-hash"
	// NodePoolHashVersionAnnotationKey says how NodePoolHashAnnotationKey was computed. Hashes of different
	// versions are not comparable: a claim stamped by an older controller gets the current hash stamped after
	// an upgrade rather than being replaced because the algorithm changed.
	NodePoolHashVersionAnnotationKey = Group + "/nodepool-hash-version"
)

// NodePoolHashVersion is the current NodePoolHashVersionAnnotationKey value. Change it whenever Hash would
// give a different value for the same NodePool.
const NodePoolHashVersion = "v1"

// Hash returns a stable hash, in hex, of the NodePool's template labels, annotations, taints, startup taints
// and nodeClassRef. A NodeClaim stamped with a different hash (of the same NodePoolHashVersion) was made from
// an older template and has drifted.
func (in *NodePool) Hash() string {
	// hashed is what the hash covers: the parts of the template that a running node cannot pick up and that a
	// change of makes it stale. Requirements are left out because they are compared with each node's labels
	// (widening a requirement must not replace every node); expireAfter and terminationGracePeriod because they
	// apply to existing claims as they are; disruption, limits and weight because they do not describe a node.
	// Every field is omitempty so that an empty map or list hashes like an unset one. The type is local so that
	// deepcopy generation, which covers every type of the package, leaves it alone.
	type hashed struct {
		Labels        map[string]LabelValue `json:"labels,omitempty"`
		Annotations   map[string]string     `json:"annotations,omitempty"`
		Taints        []Taint               `json:"taints,omitempty"`
		StartupTaints []Taint               `json:"startupTaints,omitempty"`
		NodeClassRef  *NodeClassReference   `json:"nodeClassRef,omitempty"`
	}
	tmpl := in.Spec.Template
	h := hashed{
		Labels:        tmpl.ObjectMeta.Labels,
		Annotations:   tmpl.ObjectMeta.Annotations,
		Taints:        sortedTaints(tmpl.Spec.Taints),
		StartupTaints: sortedTaints(tmpl.Spec.StartupTaints),
		NodeClassRef:  tmpl.Spec.NodeClassRef,
	}
	// encoding/json writes struct fields in declaration order and map keys sorted, so the encoding is
	// canonical. The struct holds only strings, so encoding cannot fail.
	raw, _ := json.Marshal(h)
	sum := fnv.New64a()
	_, _ = sum.Write(raw)
	return fmt.Sprintf("%016x", sum.Sum64())
}

// sortedTaints orders taints by key, effect and value: the order taints are listed in does not change what
// a node carries, so reordering them must not replace nodes.
func sortedTaints(taints []Taint) []Taint {
	out := slices.Clone(taints)
	slices.SortFunc(out, func(a, b Taint) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Effect, b.Effect), cmp.Compare(a.Value, b.Value))
	})
	return out
}
