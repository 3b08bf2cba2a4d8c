package controlplane

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// eventually polls cond until it holds; the control plane's components act asynchronously.
func eventually(ctx context.Context, t *testing.T, what string, cond func(context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// fakeNode is a Node kwok plays (when annotated) with the capacity an instance type would give it.
func fakeNode(name string, annotated bool) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"sandbox-test/node": name}},
		Status: corev1.NodeStatus{Capacity: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("2"),
			corev1.ResourceMemory: resource.MustParse("8Gi"),
			corev1.ResourcePods:   resource.MustParse("29"),
		}},
	}
	if annotated {
		n.Annotations = map[string]string{"kwok.x-k8s.io/node": "fake"}
	}
	return n
}

// createReadyNode creates an annotated node and waits for kwok to make it Ready.
func createReadyNode(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string) *corev1.Node {
	t.Helper()
	if _, err := cs.CoreV1().Nodes().Create(ctx, fakeNode(name, true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	var node *corev1.Node
	eventually(ctx, t, "node "+name+" to be Ready", func(ctx context.Context) (bool, error) {
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node = n
		return nodeReady(n), nil
	})
	return node
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func TestAnnotatedNodeBecomesReadyWithItsCapacity(t *testing.T) {
	ctx, cs := testContext(t), clientset(t)
	if _, err := cs.CoreV1().Nodes().Create(ctx, fakeNode("not-kwok", false), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), "not-kwok", metav1.DeleteOptions{}) })
	node := createReadyNode(ctx, t, cs, "ready-node")

	if got := node.Status.Allocatable[corev1.ResourcePods]; got.Value() != 29 {
		t.Errorf("allocatable pods = %s, want the 29 the creator set", got.String())
	}
	if got := node.Status.Allocatable[corev1.ResourceMemory]; got.String() != "8Gi" {
		t.Errorf("allocatable memory = %s, want 8Gi", got.String())
	}
	// The node lifecycle controller reads the node's Lease; without renewals it would mark the node unknown.
	eventually(ctx, t, "the node's lease", func(ctx context.Context) (bool, error) {
		l, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "ready-node", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && l.Spec.RenewTime != nil, err
	})
	other, err := cs.CoreV1().Nodes().Get(ctx, "not-kwok", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if nodeReady(other) {
		t.Error("a node without the kwok annotation became Ready; kwok must leave it to its kubelet")
	}
}

func labelledPods(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1", Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
					}}},
				},
			},
		},
	}
}

// runningPods waits for want pods with the app label to run and returns them.
func runningPods(ctx context.Context, t *testing.T, cs kubernetes.Interface, app string, want int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	eventually(ctx, t, "pods of "+app+" to run", func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return false, err
		}
		pods = pods[:0]
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				pods = append(pods, p)
			}
		}
		return len(pods) == want, nil
	})
	return pods
}

func TestDeploymentPodIsScheduledAndRunsThenGoesAwayWhenDeleted(t *testing.T) {
	ctx, cs := testContext(t), clientset(t)
	createReadyNode(ctx, t, cs, "app-node")
	d := labelledPods("web", 1)
	d.Spec.Template.Spec.NodeSelector = map[string]string{"sandbox-test/node": "app-node"}
	if _, err := cs.AppsV1().Deployments(metav1.NamespaceDefault).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AppsV1().Deployments(metav1.NamespaceDefault).Delete(context.Background(), "web", metav1.DeleteOptions{})
	})
	pod := runningPods(ctx, t, cs, "web", 1)[0]
	if pod.Spec.NodeName != "app-node" {
		t.Errorf("pod bound to %q, want app-node", pod.Spec.NodeName)
	}
	if pod.Status.PodIP == "" {
		t.Error("running pod has no IP")
	}

	// A pod deleted with the default grace period must not hang terminating: kwok plays the kubelet's part.
	if err := cs.CoreV1().Pods(metav1.NamespaceDefault).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, "the deleted pod to be gone", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Pods(metav1.NamespaceDefault).Get(ctx, pod.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), ignoreNotFound(err)
	})
}

// ignoreNotFound passes on errors other than NotFound.
func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func TestPodDisruptionBudgetGetsItsStatus(t *testing.T) {
	ctx, cs := testContext(t), clientset(t)
	createReadyNode(ctx, t, cs, "pdb-node")
	d := labelledPods("guarded", 3)
	d.Spec.Template.Spec.NodeSelector = map[string]string{"sandbox-test/node": "pdb-node"}
	if _, err := cs.AppsV1().Deployments(metav1.NamespaceDefault).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AppsV1().Deployments(metav1.NamespaceDefault).Delete(context.Background(), "guarded", metav1.DeleteOptions{})
	})
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "guarded", Namespace: metav1.NamespaceDefault},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(2)),
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}},
		},
	}
	if _, err := cs.PolicyV1().PodDisruptionBudgets(metav1.NamespaceDefault).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.PolicyV1().PodDisruptionBudgets(metav1.NamespaceDefault).Delete(context.Background(), "guarded", metav1.DeleteOptions{})
	})
	runningPods(ctx, t, cs, "guarded", 3)
	var got *policyv1.PodDisruptionBudget
	eventually(ctx, t, "the PDB's status", func(ctx context.Context) (bool, error) {
		var err error
		got, err = cs.PolicyV1().PodDisruptionBudgets(metav1.NamespaceDefault).Get(ctx, "guarded", metav1.GetOptions{})
		return err == nil && got.Status.CurrentHealthy == 3, err
	})
	if got.Status.DisruptionsAllowed != 1 || got.Status.DesiredHealthy != 2 {
		t.Errorf("status = %d allowed, %d desired healthy; want 1 and 2 (3 healthy, min available 2)",
			got.Status.DisruptionsAllowed, got.Status.DesiredHealthy)
	}
}

func TestJobPodCompletes(t *testing.T) {
	ctx, cs := testContext(t), clientset(t)
	createReadyNode(ctx, t, cs, "job-node")
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "once", Namespace: metav1.NamespaceDefault},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			NodeSelector:  map[string]string{"sandbox-test/node": "job-node"},
			Containers:    []corev1.Container{{Name: "work", Image: "registry.example/work:1"}},
		}}},
	}
	if _, err := cs.BatchV1().Jobs(metav1.NamespaceDefault).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.BatchV1().Jobs(metav1.NamespaceDefault).Delete(context.Background(), "once", metav1.DeleteOptions{
			PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
	})
	eventually(ctx, t, "the job to succeed", func(ctx context.Context) (bool, error) {
		j, err := cs.BatchV1().Jobs(metav1.NamespaceDefault).Get(ctx, "once", metav1.GetOptions{})
		return err == nil && j.Status.Succeeded == 1, err
	})
}
