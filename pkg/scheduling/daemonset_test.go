package scheduling

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func daemonPod(name, cpu, memory string, edit func(*corev1.PodSpec)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:      "main",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}},
		}}},
	}
	if edit != nil {
		edit(&p.Spec)
	}
	return p
}

func TestDaemonSetOverheadPerInstanceType(t *testing.T) {
	nodeTaint := corev1.Taint{Key: "example.com/dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}
	daemons := []*corev1.Pod{
		// Runs everywhere: tolerates everything.
		daemonPod("kube-proxy", "100m", "128Mi", func(s *corev1.PodSpec) {
			s.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		}),
		// Only on amd64 nodes, and does not tolerate the pool's taint.
		daemonPod("amd64-agent", "200m", "256Mi", func(s *corev1.PodSpec) { s.NodeSelector = map[string]string{corev1.LabelArchStable: "amd64"} }),
		// Only on GPU nodes, via required affinity with two alternatives; tolerates the taint.
		daemonPod("nvidia-device-plugin", "50m", "64Mi", func(s *corev1.PodSpec) {
			s.Tolerations = []corev1.Toleration{{Key: "example.com/dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
			s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{
					{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "aws.stevedore.dev/instance-gpu-count", Operator: gt, Values: []string{"0"}}}},
					{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "example.com/accelerated", Operator: exists}}},
				},
			}}}
		}),
		// Selects a label no node defines: never runs.
		daemonPod("legacy", "1", "1Gi", func(s *corev1.PodSpec) { s.NodeSelector = map[string]string{"example.com/legacy": "true"} }),
		// With an init container bigger than the main one and a sidecar: counts as the kube-scheduler would.
		daemonPod("log-shipper", "100m", "100Mi", func(s *corev1.PodSpec) {
			always := corev1.ContainerRestartPolicyAlways
			s.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
			s.InitContainers = []corev1.Container{
				{Name: "sidecar", RestartPolicy: &always, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}},
				{Name: "setup", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}},
			}
		}),
	}
	m5 := NewRequirements(
		NewRequirement(corev1.LabelArchStable, in, "amd64"),
		NewRequirement("aws.stevedore.dev/instance-gpu-count", doesNotExist),
	)
	g5 := NewRequirements(
		NewRequirement(corev1.LabelArchStable, in, "amd64"),
		NewRequirement("aws.stevedore.dev/instance-gpu-count", in, "1"),
	)
	c6g := NewRequirements(
		NewRequirement(corev1.LabelArchStable, in, "arm64"),
		NewRequirement("aws.stevedore.dev/instance-gpu-count", doesNotExist),
	)
	for _, tc := range []struct {
		name      string
		node      Requirements
		taints    []corev1.Taint
		cpu, mem  string
		wantPods  int64
		explained string
	}{
		// log-shipper: max(100m + 50m sidecar, 500m init + 50m sidecar... the init runs after the sidecar starts) = 550m.
		{name: "amd64 without taints", node: m5, cpu: "850m", mem: "484Mi", wantPods: 3, explained: "kube-proxy, amd64-agent, log-shipper"},
		{name: "amd64 GPU type in a tainted pool", node: g5, taints: []corev1.Taint{nodeTaint}, cpu: "700m", mem: "292Mi", wantPods: 3, explained: "kube-proxy, nvidia-device-plugin, log-shipper"},
		{name: "arm64", node: c6g, cpu: "650m", mem: "228Mi", wantPods: 2, explained: "kube-proxy, log-shipper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DaemonSetOverhead(daemons, tc.node, tc.taints)
			if q := got[corev1.ResourceCPU]; q.Cmp(resource.MustParse(tc.cpu)) != 0 {
				t.Errorf("cpu = %s, want %s (%s)", q.String(), tc.cpu, tc.explained)
			}
			if q := got[corev1.ResourceMemory]; q.Cmp(resource.MustParse(tc.mem)) != 0 {
				t.Errorf("memory = %s, want %s (%s)", q.String(), tc.mem, tc.explained)
			}
			if q := got[corev1.ResourcePods]; q.Value() != tc.wantPods {
				t.Errorf("pods = %d, want %d (%s)", q.Value(), tc.wantPods, tc.explained)
			}
		})
	}
}

func TestTolerates(t *testing.T) {
	taints := []corev1.Taint{
		{Key: "a", Value: "1", Effect: corev1.TaintEffectNoSchedule},
		{Key: "soft", Effect: corev1.TaintEffectPreferNoSchedule},
	}
	if err := Tolerates(nil, taints); err == nil || err.Error() != "does not tolerate taint a=1:NoSchedule" {
		t.Errorf("got %v", err)
	}
	if err := Tolerates([]corev1.Toleration{{Key: "a", Operator: corev1.TolerationOpExists}}, taints); err != nil {
		t.Errorf("PreferNoSchedule must not block: %v", err)
	}
	if err := Tolerates([]corev1.Toleration{{Key: "a", Operator: corev1.TolerationOpEqual, Value: "2"}}, taints); err == nil {
		t.Error("a toleration for another value tolerated the taint")
	}
}
