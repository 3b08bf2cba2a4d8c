package scheduling

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/klog/v2"
)

// Tolerates returns nil when tolerations tolerate every NoSchedule and NoExecute taint, as the kube-scheduler's
// TaintToleration filter requires, and otherwise an error naming the first taint that is not tolerated.
// PreferNoSchedule taints never block.
func Tolerates(tolerations []corev1.Toleration, taints []corev1.Taint) error {
	taint, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}, true)
	if untolerated {
		return fmt.Errorf("does not tolerate taint %s", taint.ToString())
	}
	return nil
}
