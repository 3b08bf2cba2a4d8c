package manifest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// template is a pod template labelled app=web whose container asks for 100m.
const template = `
  template:
    metadata: {labels: {app: web}, annotations: {note: kept}}
    spec:
      containers: [{name: c, image: i, resources: {requests: {cpu: 100m}}}]
      tolerations: [{key: dedicated, operator: Exists}]`

func workloadYAML(apiVersion, kind, metadata, spec string) string {
	return fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: %s\nspec:\n%s%s\n", apiVersion, kind, metadata, spec, template)
}

func TestWorkloadExpansion(t *testing.T) {
	tests := []struct {
		name      string
		manifests string
		wantPods  []string
		wantOwner metav1.OwnerReference
	}{
		{
			name:      "Deployment replicas, in its namespace",
			manifests: workloadYAML("apps/v1", "Deployment", "{name: web, namespace: shop}", "  replicas: 3"),
			wantPods:  []string{"shop/web-0", "shop/web-1", "shop/web-2"},
			wantOwner: metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "Deployment/shop/web"},
		},
		{
			name:      "Deployment without replicas runs one, in the default namespace, owned by its UID",
			manifests: workloadYAML("apps/v1", "Deployment", "{name: web, uid: 1234-abcd}", "  paused: true"),
			wantPods:  []string{"default/web-0"},
			wantOwner: metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "1234-abcd"},
		},
		{
			name:      "Deployment scaled to zero",
			manifests: workloadYAML("apps/v1", "Deployment", "{name: web}", "  replicas: 0"),
		},
		{
			name:      "ReplicaSet",
			manifests: workloadYAML("apps/v1", "ReplicaSet", "{name: web-5d8f}", "  replicas: 2"),
			wantPods:  []string{"default/web-5d8f-0", "default/web-5d8f-1"},
			wantOwner: metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8f", UID: "ReplicaSet/default/web-5d8f"},
		},
		{
			name:      "StatefulSet numbers pods from spec.ordinals.start",
			manifests: workloadYAML("apps/v1", "StatefulSet", "{name: db}", "  replicas: 2\n  serviceName: db\n  ordinals: {start: 5}"),
			wantPods:  []string{"default/db-5", "default/db-6"},
			wantOwner: metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "db", UID: "StatefulSet/default/db"},
		},
		{
			name:      "Job runs parallelism pods",
			manifests: workloadYAML("batch/v1", "Job", "{name: batch}", "  parallelism: 4\n  completions: 10"),
			wantPods:  []string{"default/batch-0", "default/batch-1", "default/batch-2", "default/batch-3"},
			wantOwner: metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: "batch", UID: "Job/default/batch"},
		},
		{
			name:      "Job runs no more pods than it needs completions",
			manifests: workloadYAML("batch/v1", "Job", "{name: batch}", "  parallelism: 4\n  completions: 2"),
			wantPods:  []string{"default/batch-0", "default/batch-1"},
			wantOwner: metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: "batch", UID: "Job/default/batch"},
		},
		{
			name:      "Job without parallelism runs one",
			manifests: workloadYAML("batch/v1", "Job", "{name: once}", "  backoffLimit: 2"),
			wantPods:  []string{"default/once-0"},
			wantOwner: metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: "once", UID: "Job/default/once"},
		},
		{
			name:      "suspended Job runs none",
			manifests: workloadYAML("batch/v1", "Job", "{name: later}", "  parallelism: 3\n  suspend: true"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := mustRead(t, tt.manifests)
			var got []string
			for _, p := range o.Pods {
				got = append(got, p.Namespace+"/"+p.Name)
			}
			if !slices.Equal(got, tt.wantPods) {
				t.Fatalf("pods %q, want %q", got, tt.wantPods)
			}
			owner := tt.wantOwner
			owner.Controller, owner.BlockOwnerDeletion = ptr.To(true), ptr.To(true)
			for _, p := range o.Pods {
				if len(p.OwnerReferences) != 1 || !equality.Semantic.DeepEqual(p.OwnerReferences[0], owner) {
					t.Errorf("pod %s owner references %+v, want [%+v]", p.Name, p.OwnerReferences, owner)
				}
				if p.Labels["app"] != "web" || p.Annotations["note"] != "kept" || p.Status.Phase != corev1.PodPending || p.Spec.NodeName != "" {
					t.Errorf("pod %s: labels %v, annotations %v, phase %q, node %q; want the template's, pending, unbound",
						p.Name, p.Labels, p.Annotations, p.Status.Phase, p.Spec.NodeName)
				}
				if cpu := p.Spec.Containers[0].Resources.Requests.Cpu(); cpu.MilliValue() != 100 || len(p.Spec.Tolerations) != 1 {
					t.Errorf("pod %s spec %+v, want the template's", p.Name, p.Spec)
				}
			}
			if len(o.Pods) > 1 && &o.Pods[0].Spec.Containers[0] == &o.Pods[1].Spec.Containers[0] {
				t.Error("pods share their spec; each needs its own copy")
			}
		})
	}
}

func TestStatefulSetClaims(t *testing.T) {
	sts := workloadYAML("apps/v1", "StatefulSet", "{name: db, namespace: data}", `  replicas: 3
  serviceName: db
  volumeClaimTemplates:
  - metadata: {name: pgdata, labels: {tier: db}}
    spec:
      storageClassName: gp3
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 10Gi}}
  - metadata: {name: wal}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
      volumeName: ignored-in-templates`)
	// The first replica's data claim already exists and is bound; the StatefulSet controller would adopt it.
	existing := `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pgdata-db-0, namespace: data}
spec: {storageClassName: gp3, volumeName: pv-0, accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
`
	// The claim is defined after the StatefulSet, so the expansion must wait for every document.
	o := mustRead(t, sts+"      volumes: [{name: wal, emptyDir: {}}, {name: config, emptyDir: {}}]\n---\n"+existing)

	var claims []string
	for _, c := range o.PersistentVolumeClaims {
		claims = append(claims, fmt.Sprintf("%s/%s class=%s volume=%q", c.Namespace, c.Name, ptr.Deref(c.Spec.StorageClassName, "<nil>"), c.Spec.VolumeName))
	}
	want := []string{
		`data/pgdata-db-0 class=gp3 volume="pv-0"`,
		`data/wal-db-0 class=<nil> volume=""`,
		`data/pgdata-db-1 class=gp3 volume=""`,
		`data/wal-db-1 class=<nil> volume=""`,
		`data/pgdata-db-2 class=gp3 volume=""`,
		`data/wal-db-2 class=<nil> volume=""`,
	}
	if !slices.Equal(claims, want) {
		t.Errorf("claims\n%q\nwant\n%q", claims, want)
	}
	for _, c := range o.PersistentVolumeClaims[1:] {
		if c.Status.Phase != corev1.ClaimPending {
			t.Errorf("claim %s phase %q, want Pending", c.Name, c.Status.Phase)
		}
	}
	if got := o.PersistentVolumeClaims[2].Labels["tier"]; got != "db" {
		t.Errorf("claim labels %v, want the template's", o.PersistentVolumeClaims[2].Labels)
	}
	for i, p := range o.Pods {
		var volumes []string
		for _, v := range p.Spec.Volumes {
			source := "emptyDir"
			if v.PersistentVolumeClaim != nil {
				source = v.PersistentVolumeClaim.ClaimName
			}
			volumes = append(volumes, v.Name+"="+source)
		}
		// The template's wal volume is replaced by the claim, as the StatefulSet controller does.
		want := []string{fmt.Sprintf("wal=wal-db-%d", i), "config=emptyDir", fmt.Sprintf("pgdata=pgdata-db-%d", i)}
		if !slices.Equal(volumes, want) {
			t.Errorf("pod %s volumes %q, want %q", p.Name, volumes, want)
		}
	}
}

func TestExpansionIsBounded(t *testing.T) {
	r := newReader(10)
	err := r.stream("big.yaml", strings.NewReader(workloadYAML("apps/v1", "Deployment", "{name: a}", "  replicas: 6")+"---\n"+
		workloadYAML("apps/v1", "Deployment", "{name: b}", "  replicas: 5")))
	want := "big.yaml: document 2: Deployment b would bring the pods and claims created from workloads to 11; at most 10 are supported"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestDaemonSetPods(t *testing.T) {
	o := mustRead(t, workloadYAML("apps/v1", "DaemonSet", "{name: agent, namespace: kube-system}", "  selector: {matchLabels: {app: web}}")+
		"      hostNetwork: true\n")
	if len(o.Pods) != 0 {
		t.Errorf("a DaemonSet created pods %v; its pods depend on the nodes", names(o))
	}
	pods := o.DaemonSetPods()
	if len(pods) != 1 {
		t.Fatalf("DaemonSetPods() = %d pods, want 1", len(pods))
	}
	p := pods[0]
	if p.Namespace != "kube-system" || p.Name != "agent" || p.Labels["app"] != "web" || p.Spec.NodeName != "" {
		t.Errorf("pod %s/%s labels %v node %q", p.Namespace, p.Name, p.Labels, p.Spec.NodeName)
	}
	if ref := p.OwnerReferences; len(ref) != 1 || ref[0].Kind != "DaemonSet" || ref[0].Name != "agent" || ref[0].UID != types.UID("DaemonSet/kube-system/agent") {
		t.Errorf("owner references %+v", ref)
	}
	var keys []string
	for _, tol := range p.Spec.Tolerations {
		keys = append(keys, tol.Key)
	}
	want := []string{"dedicated", corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable, corev1.TaintNodeDiskPressure,
		corev1.TaintNodeMemoryPressure, corev1.TaintNodePIDPressure, corev1.TaintNodeUnschedulable, corev1.TaintNodeNetworkUnavailable}
	if !slices.Equal(keys, want) {
		t.Errorf("tolerations %q, want the template's and the DaemonSet controller's %q", keys, want)
	}
	if len(o.DaemonSets[0].Spec.Template.Spec.Tolerations) != 1 {
		t.Error("DaemonSetPods changed the DaemonSet's template")
	}
}

func TestRequestsDefaultToLimits(t *testing.T) {
	const spec = `{initContainers: [{name: init, image: i, resources: {limits: {cpu: "1"}}}],
  containers: [{name: train, image: i, resources: {requests: {cpu: 500m}, limits: {cpu: "2", nvidia.com/gpu: "1"}}}]}`
	o := mustRead(t, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: train}\nspec: {template: {spec: "+spec+"}}\n---\n"+
		"apiVersion: v1\nkind: Pod\nmetadata: {name: bare}\nspec: "+spec+"\n")
	if len(o.Pods) != 2 {
		t.Fatalf("pods %v, want the Job's and the bare one", names(o))
	}
	for _, p := range o.Pods {
		init, train := p.Spec.InitContainers[0].Resources.Requests, p.Spec.Containers[0].Resources.Requests
		gpu := train[corev1.ResourceName("nvidia.com/gpu")]
		if init.Cpu().MilliValue() != 1000 || train.Cpu().MilliValue() != 500 || gpu.Value() != 1 {
			t.Errorf("pod %s requests: init %v, train %v; want limits where no request is set, requests kept", p.Name, init, train)
		}
	}
}
