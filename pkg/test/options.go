package test

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Option modifies a fixture. Options on object metadata apply to every kind; pod options (WithRequests,
// WithNodeSelector, WithToleration, ...) apply to Pods and to the pod templates of Deployments and DaemonSets.
// An option given a kind it cannot apply to panics, naming both: that is a bug in the test.
type Option func(client.Object)

// RandomName returns prefix followed by a random suffix, so tests sharing one API server do not collide.
func RandomName(prefix string) string { return prefix + "-" + rand.String(8) }

func apply(obj client.Object, opts []Option) {
	for _, o := range opts {
		o(obj)
	}
}

// WithName sets the object's name.
func WithName(name string) Option { return func(o client.Object) { o.SetName(name) } }

// WithNamespace sets the object's namespace.
func WithNamespace(ns string) Option { return func(o client.Object) { o.SetNamespace(ns) } }

// WithLabels adds labels given as key, value pairs.
func WithLabels(kv ...string) Option {
	m := pairs(kv)
	return func(o client.Object) {
		l := o.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		for k, v := range m {
			l[k] = v
		}
		o.SetLabels(l)
	}
}

// WithAnnotations adds annotations given as key, value pairs.
func WithAnnotations(kv ...string) Option {
	m := pairs(kv)
	return func(o client.Object) {
		a := o.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		for k, v := range m {
			a[k] = v
		}
		o.SetAnnotations(a)
	}
}

// WithFinalizers adds finalizers.
func WithFinalizers(f ...string) Option {
	return func(o client.Object) { o.SetFinalizers(append(o.GetFinalizers(), f...)) }
}

func pairs(kv []string) map[string]string {
	if len(kv)%2 != 0 {
		panic(fmt.Sprintf("test: odd number of key/value arguments: %v", kv))
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// podTemplate returns the pod metadata and spec a pod option edits: the pod itself, or a workload's template.
func podTemplate(o client.Object, option string) (labels *map[string]string, spec *corev1.PodSpec) {
	switch x := o.(type) {
	case *corev1.Pod:
		return &x.Labels, &x.Spec
	case *appsv1.Deployment:
		return &x.Spec.Template.Labels, &x.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &x.Spec.Template.Labels, &x.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &x.Spec.Template.Labels, &x.Spec.Template.Spec
	}
	panic(fmt.Sprintf("test: %s does not apply to %T", option, o))
}

// WithRequests sets cpu and memory requests on the first container ("" leaves one unset).
func WithRequests(cpu, memory string) Option {
	return WithResourceRequests(corev1.ResourceList{}, cpu, memory)
}

// WithResourceRequests sets arbitrary requests (GPUs, ephemeral storage) on the first container, plus cpu
// and memory when given.
func WithResourceRequests(extra corev1.ResourceList, cpu, memory string) Option {
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithRequests")
		c := &spec.Containers[0]
		if c.Resources.Requests == nil {
			c.Resources.Requests = corev1.ResourceList{}
		}
		for k, v := range extra {
			c.Resources.Requests[k] = v
		}
		if cpu != "" {
			c.Resources.Requests[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if memory != "" {
			c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse(memory)
		}
	}
}

// WithInitContainer adds an init container with cpu and memory requests; sidecar makes it a restartable
// (native sidecar) init container.
func WithInitContainer(cpu, memory string, sidecar bool) Option {
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithInitContainer")
		c := corev1.Container{
			Name:  fmt.Sprintf("init-%d", len(spec.InitContainers)),
			Image: "registry.example/init:1",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(cpu),
				corev1.ResourceMemory: resource.MustParse(memory),
			}},
		}
		if sidecar {
			always := corev1.ContainerRestartPolicyAlways
			c.RestartPolicy = &always
		}
		spec.InitContainers = append(spec.InitContainers, c)
	}
}

// WithNodeSelector adds node selector entries given as key, value pairs.
func WithNodeSelector(kv ...string) Option {
	m := pairs(kv)
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithNodeSelector")
		if spec.NodeSelector == nil {
			spec.NodeSelector = map[string]string{}
		}
		for k, v := range m {
			spec.NodeSelector[k] = v
		}
	}
}

// WithNodeRequirements adds required node affinity terms ANDed into the first node selector term.
func WithNodeRequirements(reqs ...corev1.NodeSelectorRequirement) Option {
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithNodeRequirements")
		if spec.Affinity == nil {
			spec.Affinity = &corev1.Affinity{}
		}
		if spec.Affinity.NodeAffinity == nil {
			spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
		}
		na := spec.Affinity.NodeAffinity
		if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
			na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{}},
			}
		}
		term := &na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0]
		term.MatchExpressions = append(term.MatchExpressions, reqs...)
	}
}

// WithToleration adds a toleration; an empty value means Exists.
func WithToleration(key, value string, effect corev1.TaintEffect) Option {
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithToleration")
		t := corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
		if value != "" {
			t.Operator, t.Value = corev1.TolerationOpEqual, value
		}
		spec.Tolerations = append(spec.Tolerations, t)
	}
}

// WithZoneSpread adds a hard topology spread constraint over zones, selecting the pod's own labels.
func WithZoneSpread(maxSkew int32) Option {
	return withSpread(corev1.LabelTopologyZone, maxSkew, corev1.DoNotSchedule)
}

// WithHostnameSpread adds a hard topology spread constraint over nodes.
func WithHostnameSpread(maxSkew int32) Option {
	return withSpread(corev1.LabelHostname, maxSkew, corev1.DoNotSchedule)
}

func withSpread(key string, maxSkew int32, when corev1.UnsatisfiableConstraintAction) Option {
	return func(o client.Object) {
		labels, spec := podTemplate(o, "WithZoneSpread")
		spec.TopologySpreadConstraints = append(spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
			MaxSkew:           maxSkew,
			TopologyKey:       key,
			WhenUnsatisfiable: when,
			LabelSelector:     selectorFor(*labels),
		})
	}
}

// WithPodAntiAffinity keeps pods with the same labels off one topology domain (kubernetes.io/hostname for one
// pod per node).
func WithPodAntiAffinity(topologyKey string) Option {
	return func(o client.Object) {
		labels, spec := podTemplate(o, "WithPodAntiAffinity")
		if spec.Affinity == nil {
			spec.Affinity = &corev1.Affinity{}
		}
		spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				TopologyKey:   topologyKey,
				LabelSelector: selectorFor(*labels),
			}},
		}
	}
}

// WithPVC mounts the named PersistentVolumeClaim.
func WithPVC(claim string) Option {
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithPVC")
		spec.Volumes = append(spec.Volumes, corev1.Volume{
			Name: strings.ReplaceAll(claim, ".", "-"),
			VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
			},
		})
	}
}

// WithNodeName binds the pod to a node.
func WithNodeName(node string) Option {
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithNodeName")
		spec.NodeName = node
	}
}

// WithPriority sets the pod priority.
func WithPriority(p int32) Option {
	return func(o client.Object) {
		_, spec := podTemplate(o, "WithPriority")
		spec.Priority = &p
	}
}

// WithOwner makes the object controlled by owner (a ReplicaSet or DaemonSet, say).
func WithOwner(owner client.Object, kind string) Option {
	return func(o client.Object) {
		yes := true
		o.SetOwnerReferences(append(o.GetOwnerReferences(), ownerRef(owner, kind, &yes)))
	}
}
