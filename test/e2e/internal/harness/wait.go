package harness

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// pollInterval is how often waits look again: fast enough not to add to a test's time, slow enough to leave the
// two cores to the system under test.
const pollInterval = 500 * time.Millisecond

// Eventually polls done until it reports true, or fails the test after timeout with the sandbox's state. An
// error from done is remembered and polling goes on, since a busy API server may fail a request now and then.
// It works in cleanups too, after the test's context has ended.
func (s *Sandbox) Eventually(t testing.TB, timeout time.Duration, what string, done func(context.Context) (bool, error)) {
	t.Helper()
	var last error
	began := time.Now()
	err := wait.PollUntilContextTimeout(context.WithoutCancel(t.Context()), pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		ok, err := done(ctx)
		if err != nil {
			last = err
			return false, nil
		}
		return ok, nil
	})
	if err != nil {
		s.Dump(t)
		t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, last)
	}
	t.Logf("%s: took %s", what, time.Since(began).Round(100*time.Millisecond))
}

// Dump logs what a person debugging a failed wait looks at first: the nodes, the NodeClaims, the pods not
// running, recent events and the tail of the controller's log.
func (s *Sandbox) Dump(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
	defer cancel()
	var b strings.Builder
	nodes := &corev1.NodeList{}
	if err := s.Client.List(ctx, nodes); err != nil {
		fmt.Fprintf(&b, "listing nodes: %v\n", err)
	}
	fmt.Fprintf(&b, "--- %d nodes\n", len(nodes.Items))
	for _, n := range nodes.Items {
		fmt.Fprintf(&b, "%s %s %s %s ready=%t taints=%v deleting=%t\n", n.Name, n.Labels[corev1.LabelInstanceTypeStable],
			n.Labels[corev1.LabelTopologyZone], n.Labels[v1.CapacityTypeLabelKey], nodeReady(&n), taintKeys(n.Spec.Taints),
			n.DeletionTimestamp != nil)
	}
	claims := &v1.NodeClaimList{}
	if err := s.Client.List(ctx, claims); err != nil {
		fmt.Fprintf(&b, "listing nodeclaims: %v\n", err)
	}
	fmt.Fprintf(&b, "--- %d nodeclaims\n", len(claims.Items))
	for _, c := range claims.Items {
		var conds []string
		for _, cond := range c.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s(%s)", cond.Type, cond.Status, cond.Reason))
		}
		fmt.Fprintf(&b, "%s %s %s %s provider=%q node=%q deleting=%t %s\n", c.Name, c.Labels[corev1.LabelInstanceTypeStable],
			c.Labels[corev1.LabelTopologyZone], c.Labels[v1.CapacityTypeLabelKey], c.Status.ProviderID, c.Status.NodeName,
			c.DeletionTimestamp != nil, strings.Join(conds, " "))
	}
	pods := &corev1.PodList{}
	if err := s.Client.List(ctx, pods); err != nil {
		fmt.Fprintf(&b, "listing pods: %v\n", err)
	}
	fmt.Fprintln(&b, "--- pods not running")
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning {
			fmt.Fprintf(&b, "%s/%s %s node=%q\n", p.Namespace, p.Name, p.Status.Phase, p.Spec.NodeName)
		}
	}
	events := &corev1.EventList{}
	if err := s.Client.List(ctx, events); err != nil {
		fmt.Fprintf(&b, "listing events: %v\n", err)
	}
	slices.SortFunc(events.Items, func(a, b corev1.Event) int { return a.LastTimestamp.Compare(b.LastTimestamp.Time) })
	fmt.Fprintln(&b, "--- last events")
	for _, e := range events.Items[max(0, len(events.Items)-40):] {
		fmt.Fprintf(&b, "%s %s %s/%s %s: %s\n", e.LastTimestamp.Format(time.TimeOnly), e.Type, e.InvolvedObject.Kind,
			e.InvolvedObject.Name, e.Reason, e.Message)
	}
	fmt.Fprintf(&b, "--- tail of %s\n%s", s.ControllerLog(), tail(s.ControllerLog(), 60))
	t.Log(b.String())
}

// tail is the last n lines of the file at path, or why it cannot be read.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error() + "\n"
	}
	lines := strings.SplitAfter(string(data), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func taintKeys(taints []corev1.Taint) []string {
	keys := make([]string, len(taints))
	for i, t := range taints {
		keys[i] = t.Key
	}
	return keys
}
