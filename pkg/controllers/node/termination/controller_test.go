package termination_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/controllers/node/termination"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// Nodes that are not being deleted, or that Stevedore does not hold, are left alone.
func TestIgnoresNodesNotTerminating(t *testing.T) {
	f := setup(t)
	node, _ := f.launch("")
	p := f.pod(node)
	f.reconcile(node)
	foreign := test.Node(test.WithFinalizers("example.com/keep"))
	test.ExpectApplied(f.ctx, t, env.Client, foreign)
	q := f.pod(foreign)
	t.Cleanup(func() {
		_ = env.Client.Patch(context.WithoutCancel(f.ctx), foreign, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`)))
		_ = env.Client.Delete(context.WithoutCancel(f.ctx), q, client.GracePeriodSeconds(0))
	})
	test.ExpectDeleted(f.ctx, t, env.Client, foreign)
	f.reconcile(foreign)
	for _, n := range []*corev1.Node{node, foreign} {
		test.ExpectExists(f.ctx, t, env.Client, n)
		for _, taint := range n.Spec.Taints {
			if taint.Key == v1.DisruptedTaintKey {
				t.Errorf("node %s tainted %v", n.Name, taint)
			}
		}
	}
	if f.terminating(p) || f.terminating(q) {
		t.Error("pods evicted from a node Stevedore is not terminating")
	}
}

// Registered with a real manager, the controller drains a deleted node as its pods' events arrive, reading pods
// through the cache's node index.
func TestRegisterWithManager(t *testing.T) {
	ctx, cancel := context.WithCancel(test.Context(t))
	defer cancel()
	mgr, err := manager.New(env.Config, manager.Options{
		Scheme:     env.Scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t)
	c, err := termination.NewController(termination.Dependencies{
		Client: mgr.GetClient(), Cloud: f.cloud, Clock: clock.RealClock{}, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Register(mgr); err != nil {
		t.Fatalf("registering: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()

	node, claim := f.launch("")
	p := f.pod(node)
	test.ExpectDeleted(ctx, t, env.Client, node)
	// Poll, standing in for the kubelet, until the node is gone; the bound only keeps a broken build from hanging.
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("node %s still there; pod terminating: %v", node.Name, f.terminating(p))
		}
		f.kubelet(node)
		got := &corev1.Node{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(node), got); client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		} else if err != nil {
			break
		}
	}
	if test.ExpectExists(ctx, t, env.Client, claim); claim.DeletionTimestamp.IsZero() {
		t.Error("nodeclaim not deleted")
	}
	if len(f.cloud.DeleteCalls) == 0 {
		t.Error("instance not terminated")
	}
}
