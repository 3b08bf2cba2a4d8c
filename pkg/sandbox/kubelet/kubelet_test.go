package kubelet_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/stevedore-dev/stevedore/pkg/aws/userdata"
)

// expectResources fails for each resource of want that got lacks or has another amount of.
func expectResources(t *testing.T, what string, got corev1.ResourceList, want map[corev1.ResourceName]string) {
	t.Helper()
	for name, w := range want {
		q, ok := got[name]
		if !ok || q.Cmp(resource.MustParse(w)) != 0 {
			t.Errorf("%s %s = %s, want %s", what, name, q.String(), w)
		}
	}
}

// userTaints leaves out the taints the API server adds to a new Node (node.kubernetes.io/not-ready until kwok
// reports it Ready).
func userTaints(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if !strings.HasPrefix(t.Key, "node.kubernetes.io/") {
			out = append(out, t)
		}
	}
	return out
}

func TestNodeFollowsTheInstanceFromAL2023UserData(t *testing.T) {
	f := start(t, env.Client)
	id, name := f.launch(t, "m5.large", "us-east-1b", render(t, userdata.AL2023, node("#!/bin/bash\necho hello\n")))
	got := expectNode(t, f.ctx, name)

	if got.Spec.ProviderID != "aws:///us-east-1b/"+id {
		t.Errorf("providerID = %q, want aws:///us-east-1b/%s", got.Spec.ProviderID, id)
	}
	if got.Annotations["kwok.x-k8s.io/node"] != "fake" {
		t.Errorf("annotations = %v, want kwok.x-k8s.io/node=fake so that kwok manages the node", got.Annotations)
	}
	wantLabels := map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1b",
		"topology.kubernetes.io/region": "us-east-1", "stevedore.dev/nodepool": "default", "team": "web",
	}
	if !reflect.DeepEqual(got.Labels, wantLabels) {
		t.Errorf("labels = %v, want %v", got.Labels, wantLabels)
	}
	if !reflect.DeepEqual(userTaints(got.Spec.Taints), node("").Taints) {
		t.Errorf("taints = %v, want %v", got.Spec.Taints, node("").Taints)
	}
	// m5.large: 2 vCPUs and 8 GiB, of which 7.5% is the VM's; 58 pods as the user data says.
	expectResources(t, "capacity", got.Status.Capacity, map[corev1.ResourceName]string{
		"cpu": "2", "memory": "7577Mi", "pods": "58", "ephemeral-storage": "20Gi",
	})
	// Less kubeReserved (80m, 893Mi, 1Gi), systemReserved (100Mi) and evictionHard (200Mi, 10% of 20Gi).
	expectResources(t, "allocatable", got.Status.Allocatable, map[corev1.ResourceName]string{
		"cpu": "1920m", "memory": "6384Mi", "pods": "58", "ephemeral-storage": "17Gi",
	})
	wantAddresses := map[corev1.NodeAddressType]bool{corev1.NodeInternalIP: false, corev1.NodeHostName: false}
	for _, a := range got.Status.Addresses {
		if a.Type == corev1.NodeHostName && a.Address == name || a.Type == corev1.NodeInternalIP && a.Address != "" {
			wantAddresses[a.Type] = true
		}
	}
	if !wantAddresses[corev1.NodeInternalIP] || !wantAddresses[corev1.NodeHostName] {
		t.Errorf("addresses = %v, want an InternalIP and Hostname %s", got.Status.Addresses, name)
	}

	// Stevedore holds a finalizer on its nodes: terminating the instance deletes the Node, which then waits for
	// the finalizer's owner to drain it.
	got.Finalizers = append(got.Finalizers, "stevedore.dev/termination")
	if err := env.Client.Update(f.ctx, got); err != nil {
		t.Fatal(err)
	}
	f.terminate(t, id)
	eventually(t, func() error {
		if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(got), got); err != nil {
			return err
		}
		if got.DeletionTimestamp.IsZero() {
			return errors.New("node not deleted yet")
		}
		return nil
	})
	got.Finalizers = nil
	if err := env.Client.Update(f.ctx, got); err != nil {
		t.Fatal(err)
	}
	expectNodeGone(t, f.ctx, name)
}

func TestNodeOfAnInstanceWithoutUserDataHasTheModelsDefaults(t *testing.T) {
	f := start(t, env.Client)
	id, name := f.launch(t, "g4dn.xlarge", "us-east-1a", "")
	got := expectNode(t, f.ctx, name)

	if len(userTaints(got.Spec.Taints)) != 0 {
		t.Errorf("taints = %v, want none", got.Spec.Taints)
	}
	if len(got.Labels) != 6 || got.Labels["node.kubernetes.io/instance-type"] != "g4dn.xlarge" || got.Labels["kubernetes.io/arch"] != "amd64" {
		t.Errorf("labels = %v, want only the six well-known ones", got.Labels)
	}
	// g4dn.xlarge: 4 vCPUs, 16 GiB less 7.5%, one NVIDIA GPU, the VPC CNI's 29 pods.
	expectResources(t, "capacity", got.Status.Capacity, map[corev1.ResourceName]string{
		"cpu": "4", "memory": "15155Mi", "pods": "29", "ephemeral-storage": "20Gi", "nvidia.com/gpu": "1",
	})
	// Less the model's kubeReserved (80m, 11Mi x 29 + 255Mi, 1Gi) and the kubelet's default eviction (100Mi, 10%).
	expectResources(t, "allocatable", got.Status.Allocatable, map[corev1.ResourceName]string{
		"cpu": "3920m", "memory": "14481Mi", "pods": "29", "ephemeral-storage": "17Gi", "nvidia.com/gpu": "1",
	})
	f.terminate(t, id)
	expectNodeGone(t, f.ctx, name)
}

func TestNodeFromBottlerocketUserData(t *testing.T) {
	f := start(t, env.Client)
	_, name := f.launch(t, "m6g.large", "us-east-1c", render(t, userdata.Bottlerocket, node("")))
	got := expectNode(t, f.ctx, name)

	if got.Labels["kubernetes.io/arch"] != "arm64" || got.Labels["team"] != "web" || got.Labels["stevedore.dev/nodepool"] != "default" {
		t.Errorf("labels = %v, want arm64 and the user data's", got.Labels)
	}
	taints := map[string]corev1.Taint{}
	for _, taint := range userTaints(got.Spec.Taints) {
		taints[taint.Key] = taint
	}
	if len(userTaints(got.Spec.Taints)) != 2 || taints["stevedore.dev/unregistered"].Effect != corev1.TaintEffectNoExecute ||
		taints["dedicated"].Value != "web" || taints["dedicated"].Effect != corev1.TaintEffectNoSchedule {
		t.Errorf("taints = %v, want the user data's", got.Spec.Taints)
	}
	// m6g.large: 8 GiB less Graviton's 64 MiB, less 7.5%; then the user data's reservations.
	expectResources(t, "capacity", got.Status.Capacity, map[corev1.ResourceName]string{"memory": "7518Mi", "pods": "58"})
	expectResources(t, "allocatable", got.Status.Allocatable, map[corev1.ResourceName]string{"cpu": "1920m", "memory": "6325Mi"})
}

func TestNodeIsCreatedOnceTheAPIServerAnswers(t *testing.T) {
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	var creates atomic.Int32
	flaky := interceptor.NewClient(base, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if creates.Add(1) <= 2 {
				return apierrors.NewServiceUnavailable("the API server is starting")
			}
			return c.Create(ctx, obj, opts...)
		},
	})
	f := start(t, flaky)
	_, name := f.launch(t, "m5.large", "us-east-1a", "")
	// The retries wait on the kubelet's clock; move it on until they have been made.
	eventually(t, func() error {
		f.retries.Step(time.Second)
		return env.Client.Get(f.ctx, client.ObjectKey{Name: name}, &corev1.Node{})
	})
	expectNode(t, f.ctx, name)
	if n := creates.Load(); n != 3 {
		t.Errorf("%d attempts to create the node, want 3", n)
	}
}

func TestNodeNameOfAReusedAddressWaitsForTheOldNode(t *testing.T) {
	f := start(t, env.Client)
	first, name := f.launch(t, "m5.large", "us-east-1a", "")
	old := expectNode(t, f.ctx, name)
	old.Finalizers = append(old.Finalizers, "stevedore.dev/termination")
	if err := env.Client.Update(f.ctx, old); err != nil {
		t.Fatal(err)
	}
	f.terminate(t, first)
	eventually(t, func() error {
		if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(old), old); err != nil {
			return err
		}
		if old.DeletionTimestamp.IsZero() {
			return errors.New("old node not deleted yet")
		}
		return nil
	})

	// The next instance gets the address back, and with it the name of the Node still draining.
	second, again := f.launch(t, "m5.large", "us-east-1a", "")
	if again != name {
		t.Fatalf("second instance is %s, want the first's address and name %s", again, name)
	}
	f.retries.Step(time.Minute)
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(old), old); err != nil || old.Spec.ProviderID != "aws:///us-east-1a/"+first {
		t.Fatalf("node %s = %s, %v; want the first instance's until it has drained", name, old.Spec.ProviderID, err)
	}
	old.Finalizers = nil
	if err := env.Client.Update(f.ctx, old); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		f.retries.Step(time.Second)
		node := &corev1.Node{}
		if err := env.Client.Get(f.ctx, client.ObjectKey{Name: name}, node); err != nil {
			return err
		}
		if node.Spec.ProviderID != "aws:///us-east-1a/"+second {
			return errors.New("node " + name + " belongs to " + node.Spec.ProviderID)
		}
		return nil
	})
}
