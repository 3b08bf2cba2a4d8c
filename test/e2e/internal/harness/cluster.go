package harness

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
)

// cleanupTimeout bounds draining and terminating every node a test left.
const cleanupTimeout = 2 * time.Minute

// Namespace creates a namespace for the test's objects. When the test ends it deletes the namespace and every
// NodeClaim, and waits until no NodeClaim and no Node is left, so the next test starts from an empty cluster
// and its assertions see only its own nodes.
func (s *Sandbox) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-" + rand.String(6)}}
	if err := s.Client.Create(t.Context(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() { s.clean(t, ns) })
	return ns.Name
}

func (s *Sandbox) clean(t testing.TB, ns *corev1.Namespace) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	// The workloads and their pods go first, at once: a terminating namespace refuses evictions, and waiting
	// for the namespace controller takes seconds a suite need not spend.
	inNS := client.InNamespace(ns.Name)
	for _, obj := range []client.Object{&appsv1.Deployment{}, &appsv1.ReplicaSet{}} {
		if err := s.Client.DeleteAllOf(ctx, obj, inNS, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
			t.Errorf("deleting %T in %s: %v", obj, ns.Name, err)
		}
	}
	if err := s.Client.DeleteAllOf(ctx, &corev1.Pod{}, inNS, client.GracePeriodSeconds(0)); err != nil {
		t.Errorf("deleting pods in %s: %v", ns.Name, err)
	}
	s.Eventually(t, cleanupTimeout, "the pods of "+ns.Name+" to be gone", func(ctx context.Context) (bool, error) {
		pods := &corev1.PodList{}
		err := s.Client.List(ctx, pods, inNS)
		return err == nil && len(pods.Items) == 0, err
	})
	if err := s.Client.Delete(ctx, ns); client.IgnoreNotFound(err) != nil {
		t.Errorf("deleting namespace %s: %v", ns.Name, err)
	}
	if err := s.Client.DeleteAllOf(ctx, &v1.NodeClaim{}); err != nil {
		t.Errorf("deleting nodeclaims: %v", err)
	}
	s.Eventually(t, cleanupTimeout, "every NodeClaim and Node to be gone", func(ctx context.Context) (bool, error) {
		claims := &v1.NodeClaimList{}
		if err := s.Client.List(ctx, claims); err != nil {
			return false, err
		}
		nodes := &corev1.NodeList{}
		if err := s.Client.List(ctx, nodes); err != nil {
			return false, err
		}
		return len(claims.Items) == 0 && len(nodes.Items) == 0, nil
	})
}

// Instances lists the simulator's instances matching filters, terminated ones included.
func (s *Sandbox) Instances(ctx context.Context, filters ...ec2types.Filter) ([]ec2types.Instance, error) {
	var out []ec2types.Instance
	pages := ec2.NewDescribeInstancesPaginator(s.EC2, &ec2.DescribeInstancesInput{Filters: filters})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing instances: %w", err)
		}
		for _, r := range page.Reservations {
			out = append(out, r.Instances...)
		}
	}
	return out, nil
}

// ClusterFilter selects the instances Stevedore launched for the sandbox's cluster.
func ClusterFilter() ec2types.Filter {
	return ec2types.Filter{Name: aws.String("tag:" + awsv1.TagCluster), Values: []string{sandbox.ClusterName}}
}

// Live reports whether an instance is pending or running, that is, neither shutting down nor terminated.
func Live(i ec2types.Instance) bool {
	return i.State != nil && (i.State.Name == ec2types.InstanceStateNamePending || i.State.Name == ec2types.InstanceStateNameRunning)
}

// Tag is the value of the instance's tag key, or "".
func Tag(i ec2types.Instance, key string) string {
	for _, t := range i.Tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// Pods lists the pods in namespace with the label app=app.
func (s *Sandbox) Pods(ctx context.Context, namespace, app string) ([]corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := s.Client.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels{"app": app}); err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	return pods.Items, nil
}

// WaitRunning waits until exactly n pods labelled app=app in namespace exist, every one bound and Running.
func (s *Sandbox) WaitRunning(t testing.TB, timeout time.Duration, namespace, app string, n int) []corev1.Pod {
	t.Helper()
	var running []corev1.Pod
	s.Eventually(t, timeout, fmt.Sprintf("%d pods of %s/%s to run", n, namespace, app), func(ctx context.Context) (bool, error) {
		pods, err := s.Pods(ctx, namespace, app)
		if err != nil {
			return false, err
		}
		running = running[:0]
		for _, p := range pods {
			if p.DeletionTimestamp == nil && p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning {
				running = append(running, p)
			}
		}
		return len(running) == n && len(pods) == n, nil
	})
	return running
}

// NodeClaims lists every NodeClaim.
func (s *Sandbox) NodeClaims(ctx context.Context) ([]v1.NodeClaim, error) {
	claims := &v1.NodeClaimList{}
	if err := s.Client.List(ctx, claims); err != nil {
		return nil, fmt.Errorf("listing nodeclaims: %w", err)
	}
	return claims.Items, nil
}

// PodReady reports whether the pod's Ready condition is true.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
