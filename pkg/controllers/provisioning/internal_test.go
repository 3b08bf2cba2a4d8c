package provisioning

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

func TestBoundLatencyIsObservedOncePerNominatedPod(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakeClock(start)
	c, err := NewController(Dependencies{Clock: clk, Registerer: prometheus.NewRegistry()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1"}}
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "never-nominated"}, Spec: corev1.PodSpec{NodeName: "n1"}}
	c.waiting.nominated(types.NamespacedName{Namespace: "default", Name: "web-1"}, start)

	c.podUpdated(pod) // still pending, and not provisionable (no Unschedulable mark): nothing to observe
	c.podUpdated(other)
	var before dto.Metric
	if err := c.metrics.boundLatency.Write(&before); err != nil || before.GetHistogram().GetSampleCount() != 0 {
		t.Fatalf("observed %d before any nominated pod was bound (%v)", before.GetHistogram().GetSampleCount(), err)
	}
	bound := pod.DeepCopy()
	bound.Spec.NodeName = "n1"
	bound.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue,
		LastTransitionTime: metav1.NewTime(start.Add(42 * time.Second))}}
	clk.Step(time.Minute)
	c.podUpdated(bound)
	c.podUpdated(bound) // a later update of the bound pod is not a second binding
	var m dto.Metric
	if err := c.metrics.boundLatency.Write(&m); err != nil {
		t.Fatal(err)
	}
	if h := m.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() != 42 {
		t.Errorf("bound latency observed %d times summing %vs, want once, 42s (from nomination to the PodScheduled time)",
			h.GetSampleCount(), h.GetSampleSum())
	}
}

func TestAPoolBecomingReadyOpensABatch(t *testing.T) {
	c, err := NewController(Dependencies{Clock: clocktesting.NewFakeClock(time.Now()), Registerer: prometheus.NewRegistry()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pool := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	pool.Conditions().SetFalse(v1.ConditionTypeNodeClassReady, "NodeClassNotReady", "subnets not found")
	if c.becameReady(pool) {
		t.Error("a pool that is not ready opened a batch")
	}
	pool.Conditions().SetTrue(v1.ConditionTypeNodeClassReady)
	pool.Conditions().SetTrue(v1.ConditionTypeValidationSucceeded)
	if !c.becameReady(pool) {
		t.Error("the pool's turning ready did not open a batch: pods pending on it would wait for the resync")
	}
	if c.becameReady(pool) {
		t.Error("a status update of a pool that was already ready opened another batch")
	}
}
