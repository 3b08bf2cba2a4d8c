package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// initialize marks the claim initialized once its Node is ready for pods: Ready, rid of its startup taints, and
// reporting the extended resources its instance type has. Until then the provisioner still counts the claim's
// capacity as coming, rather than packing onto a Node that cannot run its pods yet. Once initialized, a claim stays
// initialized: a Node that later turns NotReady is a health problem, not an unfinished start.
func (c *Controller) initialize(ctx context.Context, p *pass) (reconcile.Result, error) {
	claim, node := p.claim, p.node
	if node == nil || claim.Conditions().IsTrue(v1.ConditionTypeInitialized) {
		return reconcile.Result{}, nil
	}
	if reason, message := notInitialized(claim, node); reason != "" {
		claim.Conditions().SetFalse(v1.ConditionTypeInitialized, reason, message)
		return reconcile.Result{}, nil
	}
	if node.Labels[v1.NodeInitializedLabelKey] != "true" {
		stored := node.DeepCopy()
		node.Labels[v1.NodeInitializedLabelKey] = "true"
		if err := c.kube.Patch(ctx, node, client.MergeFrom(stored)); err != nil {
			return reconcile.Result{}, fmt.Errorf("labelling node %s initialized: %w", node.Name, err)
		}
	}
	claim.Conditions().SetTrue(v1.ConditionTypeInitialized)
	c.metrics.initialized.WithLabelValues(claim.Labels[v1.NodePoolLabelKey]).Inc()
	c.publish(claim, initialized(node.Name))
	log.FromContext(ctx).Info("initialized nodeclaim", "node", node.Name)
	return reconcile.Result{}, nil
}

// notInitialized returns the reason and message for the first thing the Node still lacks, or "" when it lacks
// nothing.
func notInitialized(claim *v1.NodeClaim, node *corev1.Node) (reason, message string) {
	ready := slices.IndexFunc(node.Status.Conditions, func(c corev1.NodeCondition) bool { return c.Type == corev1.NodeReady })
	if ready < 0 || node.Status.Conditions[ready].Status != corev1.ConditionTrue {
		return v1.ReasonNodeNotReady, fmt.Sprintf("node %s is not Ready", node.Name)
	}
	var taints []string
	for _, t := range v1.CoreTaints(claim.Spec.StartupTaints) {
		if hasTaint(node.Spec.Taints, t) {
			taints = append(taints, t.ToString())
		}
	}
	if len(taints) > 0 {
		return v1.ReasonStartupTaintsExist, fmt.Sprintf("node %s still has startup taints %s", node.Name, strings.Join(taints, ", "))
	}
	var missing []string
	for name := range claim.Status.Allocatable {
		if !extended(name) {
			continue
		}
		if q, ok := node.Status.Allocatable[name]; !ok || q.IsZero() {
			missing = append(missing, string(name))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return v1.ReasonResourcesNotRegistered, fmt.Sprintf("node %s does not report %s yet", node.Name, strings.Join(missing, ", "))
	}
	return "", ""
}

// extended reports whether a resource is an extended resource (nvidia.com/gpu, say), which a device plugin
// registers some time after the kubelet: a name with a domain other than kubernetes.io. CPU, memory, pods,
// ephemeral storage and huge pages are reported by the kubelet itself.
func extended(name corev1.ResourceName) bool {
	domain, _, ok := strings.Cut(string(name), "/")
	if !ok {
		return false
	}
	return domain != "kubernetes.io" && !strings.HasSuffix(domain, ".kubernetes.io") && !strings.HasPrefix(string(name), "requests.")
}
