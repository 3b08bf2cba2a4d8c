package provisioning_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/provisioning"
	"github.com/stevedore-dev/stevedore/pkg/state"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// BenchmarkProvision times one provisioning pass, from the close of a batch to the last NodeClaim created,
// over 1,000 and 10,000 pending pods of three workloads, reading through an informer cache as in production
// and writing to a real API server. It reports pods per second and NodeClaims per pass; -benchmem adds the
// allocations of the pass.
func BenchmarkProvision(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) { benchmarkProvision(b, n) })
	}
}

func benchmarkProvision(b *testing.B, pods int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer cleanup()
	informers, err := cache.New(env.Config, cache.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = informers.Start(ctx) }()
	kube, err := client.New(env.Config, client.Options{Scheme: env.Scheme, Cache: &client.CacheOptions{Reader: informers}})
	if err != nil {
		b.Fatal(err)
	}
	test.ExpectApplied(ctx, b, env.Client, test.NodePool("class"))
	createPending(ctx, b, pods)
	waitFor(b, func() bool {
		var list corev1.PodList
		return kube.List(ctx, &list) == nil && countUnschedulable(list.Items) == pods
	})

	claims, solve := 0, 0.0
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		// Each pass starts from a fresh model, so every pod is provisionable again.
		// The real clock, so that the solve-duration histogram measures the solve.
		cluster := state.New(kube, fake.New(instanceTypes()...), clock.RealClock{}, state.Options{})
		if err := cluster.Watch(ctx, informers); err != nil {
			b.Fatal(err)
		}
		registry := prometheus.NewRegistry()
		c, err := provisioning.NewController(provisioning.Dependencies{
			Client: kube, Cluster: cluster, Clock: clock.RealClock{}, Registerer: registry,
		}, provisioning.Options{})
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, func() bool { return cluster.Synced(ctx) })
		b.StartTimer()
		r, err := c.Provision(ctx)
		b.StopTimer()
		if err != nil || r.Pods != pods || len(r.Plan.Unschedulable) != 0 {
			b.Fatalf("pass: %v; %d pods, %+v unschedulable", err, r.Pods, r.Plan.Unschedulable)
		}
		claims = len(r.NodeClaims)
		solve += solveSeconds(b, registry)
		deleteNodeClaims(ctx, b)
		waitFor(b, func() bool {
			var list v1.NodeClaimList
			return kube.List(ctx, &list) == nil && len(list.Items) == 0
		})
	}
	b.ReportMetric(float64(pods*b.N)/b.Elapsed().Seconds(), "pods/s")
	b.ReportMetric(float64(claims), "nodeclaims/op")
	b.ReportMetric(solve*1000/float64(b.N), "solve-ms/op")
}

// solveSeconds is the time the solver took, from the provisioner's histogram.
func solveSeconds(b *testing.B, registry *prometheus.Registry) float64 {
	families, err := registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == "stevedore_provisioner_solve_duration_seconds" {
			return mf.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	return 0
}

// createPending creates n unschedulable pods of three sizes, several at a time.
func createPending(ctx context.Context, b *testing.B, n int) {
	sizes := [][2]string{{"250m", "512Mi"}, {"500m", "1Gi"}, {"1", "2Gi"}}
	owner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", UID: "bench", Controller: ptr(true)}
	work := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range work {
				size := sizes[i%len(sizes)]
				p := test.Pod(test.WithRequests(size[0], size[1]), test.WithLabels("app", fmt.Sprintf("app-%d", i%len(sizes))))
				o := owner
				o.Name = fmt.Sprintf("app-%d", i%len(sizes))
				p.OwnerReferences = []metav1.OwnerReference{o}
				unschedulable(p)
				if err := test.Apply(ctx, env.Client, p); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

func countUnschedulable(pods []corev1.Pod) int {
	n := 0
	for i := range pods {
		for _, c := range pods[i].Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
				n++
			}
		}
	}
	return n
}

func deleteNodeClaims(ctx context.Context, b *testing.B) {
	var list v1.NodeClaimList
	if err := env.Client.List(ctx, &list); err != nil {
		b.Fatal(err)
	}
	work := make(chan *v1.NodeClaim)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for nc := range work {
				nc.Finalizers = nil
				if err := env.Client.Update(ctx, nc); client.IgnoreNotFound(err) != nil {
					b.Error(err)
				}
				if err := env.Client.Delete(ctx, nc); client.IgnoreNotFound(err) != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range list.Items {
		work <- &list.Items[i]
	}
	close(work)
	wg.Wait()
}

// waitFor polls cond until it holds, failing after two minutes.
func waitFor(b *testing.B, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
