package disruption

import (
	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Objects are the candidate's Node and NodeClaim as the Input had them (the claim may be nil), for events and
// writes that need the objects themselves. Callers must not modify them.
func (c *Candidate) Objects() (*corev1.Node, *v1.NodeClaim) {
	if c.node == nil {
		return nil, nil
	}
	return c.node.Node, c.node.NodeClaim
}
