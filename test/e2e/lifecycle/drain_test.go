package lifecycle_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stevedore-dev/stevedore/pkg/test"
	"github.com/stevedore-dev/stevedore/test/e2e/internal/harness"
)

// waitTimeout bounds each wait for the controller: a few batches, boots and reconciles, with slack for a
// loaded machine.
const waitTimeout = 90 * time.Second

func TestDeletingANodeDrainsWithinItsDisruptionBudget(t *testing.T) {
	ns := sb.Namespace(t)
	d := test.Deployment(6, test.WithNamespace(ns), test.WithRequests("100m", "128Mi"))
	app := d.Spec.Template.Labels["app"]
	minAvailable := intstr.FromInt32(5)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: ns},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &minAvailable, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
		},
	}
	for _, obj := range []client.Object{d, pdb} {
		if err := sb.Client.Create(t.Context(), obj); err != nil {
			t.Fatal(err)
		}
	}
	pods := sb.WaitRunning(t, waitTimeout, ns, app, 6)
	perNode := map[string]int{}
	node := ""
	for _, p := range pods {
		perNode[p.Spec.NodeName]++
		if perNode[p.Spec.NodeName] > perNode[node] {
			node = p.Spec.NodeName
		}
	}
	if perNode[node] < 2 {
		t.Fatalf("pods per node = %v; the test needs a node with at least two", perNode)
	}
	sb.Eventually(t, waitTimeout, "the PodDisruptionBudget to allow one disruption", func(ctx context.Context) (bool, error) {
		got := &policyv1.PodDisruptionBudget{}
		err := sb.Client.Get(ctx, client.ObjectKeyFromObject(pdb), got)
		return err == nil && got.Status.CurrentHealthy == 6 && got.Status.DisruptionsAllowed == 1, err
	})
	n := &corev1.Node{}
	if err := sb.Client.Get(t.Context(), client.ObjectKey{Name: node}, n); err != nil {
		t.Fatal(err)
	}
	instanceID := n.Spec.ProviderID[strings.LastIndex(n.Spec.ProviderID, "/")+1:]

	ctx, stop := context.WithCancel(t.Context())
	rec := &drainRecord{node: node, minReady: 6, minHealthy: 6}
	var wg sync.WaitGroup
	wg.Go(func() { rec.watchPods(ctx, ns, app) })
	wg.Go(func() { rec.watchBudget(ctx, pdb) })
	wg.Go(func() { rec.pollInstance(ctx, instanceID) })
	// Both watches have delivered the current state before the node goes.
	sb.Eventually(t, waitTimeout, "the watches to start", func(context.Context) (bool, error) { return rec.started(), nil })

	t.Logf("deleting node %s (instance %s) with %d of the 6 pods", node, instanceID, perNode[node])
	if err := sb.Client.Delete(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	sb.Eventually(t, waitTimeout, "the node to be gone and its instance terminated", func(ctx context.Context) (bool, error) {
		err := sb.Client.Get(ctx, client.ObjectKey{Name: node}, &corev1.Node{})
		return apierrors.IsNotFound(err) && !rec.terminatedSeen().IsZero(), client.IgnoreNotFound(err)
	})
	for _, p := range sb.WaitRunning(t, waitTimeout, ns, app, 6) {
		if p.Spec.NodeName == node {
			t.Errorf("pod %s still runs on the deleted node", p.Name)
		}
	}
	stop()
	wg.Wait()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	t.Logf("last pod left the node at %s, instance seen terminating at %s; at least %d pods ready and the budget's current healthy at least %d throughout",
		rec.lastLeft.Format(time.StampMilli), rec.terminated.Format(time.StampMilli), rec.minReady, rec.minHealthy)
	if rec.left != perNode[node] {
		t.Errorf("%d pods left the node; want the %d it ran", rec.left, perNode[node])
	}
	// The watch's and the poll's clocks are the test's, each a little late; the server's word decides: the
	// pods still bound to the node, listed the moment the instance was seen going.
	if rec.podsAtTermination > 0 {
		t.Errorf("%d pods were still bound to node %s when its instance was seen terminating", rec.podsAtTermination, node)
	}
	if rec.minReady < 5 || rec.minHealthy < 5 {
		t.Errorf("ready pods fell to %d (the budget saw %d healthy); the budget requires 5 available", rec.minReady, rec.minHealthy)
	}
	if rec.watchErr != nil {
		t.Errorf("watching: %v", rec.watchErr)
	}
}

// drainRecord is what the watches saw while the node drained.
type drainRecord struct {
	node string

	mu                sync.Mutex
	podsSynced        bool
	budgetSynced      bool
	ready             map[string]bool
	onNode            map[string]bool
	minReady          int
	minHealthy        int32
	left              int
	lastLeft          time.Time
	terminated        time.Time
	podsAtTermination int
	watchErr          error
}

func (r *drainRecord) started() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.podsSynced && r.budgetSynced
}

func (r *drainRecord) terminatedSeen() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.terminated
}

// watchPods counts the Deployment's ready pods after every change, and notes when each pod of the node leaves
// it: when the pod is gone from the API.
func (r *drainRecord) watchPods(ctx context.Context, ns, app string) {
	w, err := sb.Client.Watch(ctx, &corev1.PodList{}, client.InNamespace(ns), client.MatchingLabels{"app": app})
	if err != nil {
		r.fail(err)
		return
	}
	defer w.Stop()
	r.mu.Lock()
	r.ready, r.onNode = map[string]bool{}, map[string]bool{}
	r.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod {
				continue
			}
			now := time.Now()
			r.mu.Lock()
			if ev.Type == watch.Deleted {
				delete(r.ready, p.Name)
				if r.onNode[p.Name] {
					delete(r.onNode, p.Name)
					r.left++
					r.lastLeft = now
				}
			} else {
				r.ready[p.Name] = harness.PodReady(p) && p.DeletionTimestamp == nil
				if p.Spec.NodeName == r.node {
					r.onNode[p.Name] = true
				}
			}
			count := 0
			for _, ready := range r.ready {
				if ready {
					count++
				}
			}
			// The first events replay the pods as they are; counting starts once all six are seen ready.
			if count == 6 {
				r.podsSynced = true
			}
			if r.podsSynced {
				r.minReady = min(r.minReady, count)
			}
			r.mu.Unlock()
		}
	}
}

// watchBudget records the lowest current-healthy count the kube-controller-manager reports for the budget.
func (r *drainRecord) watchBudget(ctx context.Context, pdb *policyv1.PodDisruptionBudget) {
	w, err := sb.Client.Watch(ctx, &policyv1.PodDisruptionBudgetList{}, client.InNamespace(pdb.Namespace),
		client.MatchingFields{"metadata.name": pdb.Name})
	if err != nil {
		r.fail(err)
		return
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			if got, isPDB := ev.Object.(*policyv1.PodDisruptionBudget); isPDB {
				r.mu.Lock()
				r.budgetSynced = true
				r.minHealthy = min(r.minHealthy, got.Status.CurrentHealthy)
				r.mu.Unlock()
			}
		}
	}
}

// pollInstance notes when the instance is first seen shutting down or terminated, and how many pods were still
// bound to its node then.
func (r *drainRecord) pollInstance(ctx context.Context, id string) {
	for ctx.Err() == nil {
		out, err := sb.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err == nil && len(out.Reservations) > 0 && len(out.Reservations[0].Instances) > 0 {
			state := out.Reservations[0].Instances[0].State.Name
			if state == ec2types.InstanceStateNameShuttingDown || state == ec2types.InstanceStateNameTerminated {
				now := time.Now()
				pods := &corev1.PodList{}
				_ = sb.Client.List(ctx, pods, client.MatchingFields{"spec.nodeName": r.node})
				r.mu.Lock()
				r.terminated, r.podsAtTermination = now, len(pods.Items)
				r.mu.Unlock()
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *drainRecord) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.watchErr = err
}
