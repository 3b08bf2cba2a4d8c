package state_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/stevedore-dev/stevedore/pkg/state"
)

func TestLastPodEventFollowsPodsArrivingAndLeaving(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakeClock(start)
	c := state.New(nil, nil, clk, state.Options{})
	pod := func(name, node string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: metav1.NewTime(start.Add(-time.Hour))},
			Spec:       corev1.PodSpec{NodeName: node},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{
				Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(start.Add(-30 * time.Minute)),
			}}},
		}
	}
	if got := c.LastPodEvent("a"); !got.IsZero() {
		t.Fatalf("LastPodEvent of an unknown node = %v, want zero", got)
	}

	// A pod first seen running (after a restart) arrived when it was scheduled.
	web := pod("web", "a")
	c.UpdatePod(web)
	if got := c.LastPodEvent("a"); !got.Equal(start.Add(-30 * time.Minute)) {
		t.Errorf("after the initial list, LastPodEvent = %v, want the pod's scheduling time", got)
	}
	// Status updates of a pod that stays put are not events.
	clk.Step(time.Minute)
	c.UpdatePod(web)
	if got := c.LastPodEvent("a"); !got.Equal(start.Add(-30 * time.Minute)) {
		t.Errorf("a status update moved LastPodEvent to %v", got)
	}
	// A pod finishing leaves the node now.
	clk.Step(time.Minute)
	done := web.DeepCopy()
	done.Status.Phase = corev1.PodSucceeded
	c.UpdatePod(done)
	if got := c.LastPodEvent("a"); !got.Equal(clk.Now()) {
		t.Errorf("after the pod finished, LastPodEvent = %v, want now (%v)", got, clk.Now())
	}
	// A pod deleted from another node marks that node.
	c.UpdatePod(pod("api", "b"))
	clk.Step(time.Minute)
	c.DeletePod(types.NamespacedName{Namespace: "default", Name: "api"})
	if got := c.LastPodEvent("b"); !got.Equal(clk.Now()) {
		t.Errorf("after the pod was deleted, LastPodEvent(b) = %v, want now", got)
	}
	c.DeleteNode("b")
	if got := c.LastPodEvent("b"); !got.IsZero() {
		t.Errorf("a deleted node still has LastPodEvent %v", got)
	}
}
