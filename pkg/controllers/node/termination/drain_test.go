package termination_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/controllers/node/termination"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// A node deleted with kubectl is tainted and drained ordinary pods first, system-critical pods only once the
// ordinary ones are gone, DaemonSet and mirror pods never; then its claim and instance go and the node with them.
func TestKubectlDeleteDrainsInOrderThenTerminates(t *testing.T) {
	f := setup(t)
	node, claim := f.launch("")
	ds := test.DaemonSet()
	test.ExpectApplied(f.ctx, t, env.Client, ds)
	app := f.pod(node)
	critical := f.pod(node, test.WithNamespace("kube-system"), func(o client.Object) {
		o.(*corev1.Pod).Spec.PriorityClassName = "system-node-critical"
	})
	daemon := f.pod(node, test.WithOwner(ds, "DaemonSet"))
	mirror := f.pod(node, test.WithAnnotations(corev1.MirrorPodAnnotationKey, "checksum"))
	done := f.pod(node)
	done.Status.Phase = corev1.PodSucceeded
	test.ExpectApplied(f.ctx, t, env.Client, done)

	f.deleteNode(node)
	f.reconcile(node)
	test.ExpectExists(f.ctx, t, env.Client, node)
	tainted := false
	for _, taint := range node.Spec.Taints {
		tainted = tainted || (taint.Key == v1.DisruptedTaintKey && taint.Effect == corev1.TaintEffectNoSchedule)
	}
	if !tainted {
		t.Errorf("taints %v, want %s:NoSchedule", node.Spec.Taints, v1.DisruptedTaintKey)
	}
	if !f.terminating(app) || f.terminating(critical) {
		t.Fatalf("first pass: app evicted %v (want true), critical evicted %v (want false)", f.terminating(app), f.terminating(critical))
	}
	// The evicted app pod is still shutting down: the critical pod it may need stays.
	f.reconcile(node)
	if f.terminating(critical) {
		t.Fatal("critical pod evicted while an ordinary pod was still terminating")
	}
	f.kubelet(node)
	f.reconcile(node)
	if !f.terminating(critical) {
		t.Fatal("critical pod not evicted once the ordinary pods were gone")
	}
	if f.instanceDeletes() != 0 {
		t.Fatal("instance deleted before the node was drained")
	}
	f.kubelet(node)
	f.reconcile(node) // drained: the claim is deleted and the instance starts shutting down
	f.expectFinalizer(node, true)
	f.reconcile(node) // the cloud reports the instance gone
	f.expectFinalizer(node, false)
	for _, p := range []*corev1.Pod{daemon, mirror, done} {
		if f.terminating(p) {
			t.Errorf("pod %s was evicted; DaemonSet, mirror and finished pods stay", p.Name)
		}
	}
	test.ExpectExists(f.ctx, t, env.Client, claim)
	if claim.DeletionTimestamp.IsZero() {
		t.Error("nodeclaim not deleted")
	}
	if n := f.instanceDeletes(); n != 2 || f.cloud.DeleteCalls[0].Status.ProviderID != claim.Status.ProviderID {
		t.Errorf("instance deletes %d, want 2 for %s (terminating, then gone)", n, claim.Status.ProviderID)
	}
	if got := f.metric("stevedore_node_evictions_total"); got != 2 {
		t.Errorf("evictions %v, want 2", got)
	}
	if got := f.metric("stevedore_node_drain_duration_seconds"); got != 1 {
		t.Errorf("drain durations observed %v, want 1", got)
	}
	ev := f.events()
	expectEvent(t, ev, termination.ReasonDraining, node.Name)
	expectEvent(t, ev, termination.ReasonEvicted, node.Name)
	expectEvent(t, ev, termination.ReasonTerminated, node.Name)
}

// A PDB that allows no disruption keeps its pod, the node and the instance; the eviction is retried with backoff
// and succeeds once the budget allows.
func TestPDBBlocksDrainUntilItAllows(t *testing.T) {
	f := setup(t)
	node, _ := f.launch("")
	p := f.pod(node)
	pdb := test.PDB(p.Labels["app"], 0)
	pdb.Status = policyStatus(0)
	test.ExpectApplied(f.ctx, t, env.Client, pdb)

	f.deleteNode(node)
	f.reconcile(node)
	if f.terminating(p) {
		t.Fatal("pod evicted although its PDB allows no disruption")
	}
	if got := f.metric("stevedore_node_evictions_blocked_total"); got != 1 {
		t.Fatalf("blocked evictions %v, want 1", got)
	}
	expectEvent(t, f.events(), termination.ReasonEvictionBlocked, "PodDisruptionBudget "+pdb.Name)
	f.reconcile(node) // within the backoff: not tried again
	if got := f.metric("stevedore_node_evictions_blocked_total"); got != 1 {
		t.Fatalf("blocked evictions %v within the backoff, want 1", got)
	}
	for range 5 {
		f.clock.Step(termination.BackoffMax)
		f.reconcile(node)
	}
	if got := f.metric("stevedore_node_evictions_blocked_total"); got != 6 {
		t.Fatalf("blocked evictions %v after retries, want 6", got)
	}
	if f.terminating(p) {
		t.Fatal("pod evicted although its PDB allows no disruption")
	}
	f.expectFinalizer(node, true)
	if f.instanceDeletes() != 0 {
		t.Fatal("instance deleted while a PDB held a pod on the node")
	}

	pdb.Status = policyStatus(1)
	test.ExpectApplied(f.ctx, t, env.Client, pdb)
	f.clock.Step(termination.BackoffMax)
	f.reconcile(node)
	if !f.terminating(p) {
		t.Fatal("pod not evicted once its PDB allowed it")
	}
	f.kubelet(node)
	f.reconcile(node)
	f.reconcile(node)
	f.expectFinalizer(node, false)
}

// A do-not-disrupt pod is never evicted; without a termination grace period it holds the node for ever.
func TestDoNotDisruptHoldsNodeWithoutGracePeriod(t *testing.T) {
	f := setup(t)
	node, _ := f.launch("")
	p := f.pod(node, test.WithAnnotations(v1.DoNotDisruptAnnotationKey, "true"))
	f.deleteNode(node)
	f.reconcile(node)
	f.clock.Step(48 * time.Hour)
	f.reconcile(node)
	if f.terminating(p) {
		t.Fatal("do-not-disrupt pod evicted")
	}
	f.expectFinalizer(node, true)
	expectEvent(t, f.events(), termination.ReasonDoNotDisrupt, p.Name)
	if f.instanceDeletes() != 0 {
		t.Fatal("instance deleted under a do-not-disrupt pod")
	}
}

// With a termination grace period, pods that block (do-not-disrupt, PDB) are deleted when their own grace period
// no longer fits before the deadline, shortened so they end by it, and anything left at the deadline goes at once.
func TestGracePeriodDeletesBlockingPods(t *testing.T) {
	f := setup(t)
	node, _ := f.launch("2m")
	dnd := f.pod(node, test.WithAnnotations(v1.DoNotDisruptAnnotationKey, "true"))
	blocked := f.pod(node)
	pdb := test.PDB(blocked.Labels["app"], 0)
	pdb.Status = policyStatus(0)
	test.ExpectApplied(f.ctx, t, env.Client, pdb)
	long := int64(600)
	slow := f.pod(node, test.WithAnnotations(v1.DoNotDisruptAnnotationKey, "true"), func(o client.Object) {
		o.(*corev1.Pod).Spec.TerminationGracePeriodSeconds = &long
	})

	f.deleteNode(node)
	f.reconcile(node)
	// The slow pod's 600s would outlast the 2m deadline: it is deleted now, with the 120s there are.
	if g := deletionGrace(t, f, slow); g != 120 {
		t.Fatalf("slow pod deletion grace %d, want 120", g)
	}
	if f.terminating(dnd) || f.terminating(blocked) {
		t.Fatal("blocking pods removed long before the deadline")
	}
	f.clock.Step(95 * time.Second) // 25s left: less than the pods' default 30s
	f.reconcile(node)
	for _, p := range []*corev1.Pod{dnd, blocked} {
		if g := deletionGrace(t, f, p); g != 25 {
			t.Errorf("pod %s deletion grace %d, want 25", p.Name, g)
		}
	}
	f.expectFinalizer(node, true)
	f.clock.Step(26 * time.Second) // past the deadline: whatever is left goes now
	f.reconcile(node)
	for _, p := range []*corev1.Pod{dnd, blocked, slow} {
		test.ExpectNotFound(f.ctx, t, env.Client, p)
	}
	f.reconcile(node)
	f.reconcile(node)
	f.expectFinalizer(node, false)
	if got := f.metric("stevedore_node_pods_deleted_after_grace_period_total"); got != 6 {
		t.Errorf("pods deleted %v, want 6 (three shortened, three at the deadline)", got)
	}
	expectEvent(t, f.events(), termination.ReasonDeletedAfterGracePeriod, "25s")
}

func deletionGrace(t *testing.T, f *fixture, p *corev1.Pod) int64 {
	t.Helper()
	got := &corev1.Pod{}
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(p), got); err != nil {
		t.Fatal(err)
	}
	if got.DeletionGracePeriodSeconds == nil {
		return -1
	}
	return *got.DeletionGracePeriodSeconds
}

// policyStatus is what the disruption controller, which envtest lacks, would write for a one-pod budget.
func policyStatus(allowed int32) policyv1.PodDisruptionBudgetStatus {
	return policyv1.PodDisruptionBudgetStatus{
		ObservedGeneration: 1, DisruptionsAllowed: allowed, CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1,
	}
}
