package solver

import (
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// keyOf is what makes two pods interchangeable for scheduling: namespace, labels, requests and every
// constraint, written canonically (maps in key order). It is hand-written because it runs once per pending
// pod and reflection-based encoding cost more than the rest of the solve.
func keyOf(pod *corev1.Pod, volumes volumeTopology) string {
	var k keyWriter
	k.str(pod.Namespace)
	k.strMap(pod.Labels)
	k.strMap(pod.Spec.NodeSelector)
	for _, containers := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		k.sep('C')
		for i := range containers {
			c := &containers[i]
			if c.RestartPolicy != nil {
				k.str(string(*c.RestartPolicy))
			}
			k.resources(c.Resources.Requests)
		}
	}
	k.resources(pod.Spec.Overhead)
	if r := pod.Spec.Resources; r != nil {
		k.sep('R')
		k.resources(r.Requests)
	}
	for _, p := range hostPorts(pod) {
		k.str(p)
	}
	k.sep('T')
	for _, t := range pod.Spec.Tolerations {
		k.str(t.Key)
		k.str(string(t.Operator))
		k.str(t.Value)
		k.str(string(t.Effect))
		if t.TolerationSeconds != nil {
			k.int(*t.TolerationSeconds)
		}
	}
	k.sep('S')
	for _, c := range pod.Spec.TopologySpreadConstraints {
		k.int(int64(c.MaxSkew))
		k.str(c.TopologyKey)
		k.str(string(c.WhenUnsatisfiable))
		k.selector(c.LabelSelector)
		if c.MinDomains != nil {
			k.int(int64(*c.MinDomains))
		}
		if c.NodeAffinityPolicy != nil {
			k.str(string(*c.NodeAffinityPolicy))
		}
		if c.NodeTaintsPolicy != nil {
			k.str(string(*c.NodeTaintsPolicy))
		}
		k.strs(c.MatchLabelKeys)
	}
	if a := pod.Spec.Affinity; a != nil {
		if na := a.NodeAffinity; na != nil {
			k.sep('N')
			if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
				for _, t := range r.NodeSelectorTerms {
					k.nodeTerm(t)
				}
			}
			k.sep('n')
			for _, p := range na.PreferredDuringSchedulingIgnoredDuringExecution {
				k.int(int64(p.Weight))
				k.nodeTerm(p.Preference)
			}
		}
		if pa := a.PodAffinity; pa != nil {
			k.sep('A')
			k.podTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
		}
		if pa := a.PodAntiAffinity; pa != nil {
			k.sep('X')
			k.podTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
		}
	}
	topology, problem := volumes.describe(pod)
	k.sep('V')
	k.str(topology)
	k.str(problem)
	return k.b.String()
}

// keyWriter writes values with length prefixes, so that no two different inputs write the same key.
type keyWriter struct{ b strings.Builder }

func (k *keyWriter) sep(c byte) { k.b.WriteByte(c) }

func (k *keyWriter) str(s string) {
	k.b.WriteString(strconv.Itoa(len(s)))
	k.b.WriteByte(':')
	k.b.WriteString(s)
}

func (k *keyWriter) int(n int64) {
	k.b.WriteByte('#')
	k.b.WriteString(strconv.FormatInt(n, 10))
}

func (k *keyWriter) strs(ss []string) {
	k.int(int64(len(ss)))
	for _, s := range ss {
		k.str(s)
	}
}

func (k *keyWriter) strMap(m map[string]string) {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	k.int(int64(len(keys)))
	for _, key := range keys {
		k.str(key)
		k.str(m[key])
	}
}

func (k *keyWriter) resources(l corev1.ResourceList) {
	names := make([]string, 0, len(l))
	for name := range l {
		names = append(names, string(name))
	}
	slices.Sort(names)
	k.int(int64(len(names)))
	for _, name := range names {
		q := l[corev1.ResourceName(name)]
		k.str(name)
		k.quantity(q)
	}
}

func (k *keyWriter) quantity(q resource.Quantity) {
	if v, ok := q.AsInt64(); ok {
		k.int(v)
		return
	}
	k.int(q.MilliValue())
	k.sep('m')
}

func (k *keyWriter) selector(ls *metav1.LabelSelector) {
	if ls == nil {
		k.sep('-')
		return
	}
	k.strMap(ls.MatchLabels)
	k.int(int64(len(ls.MatchExpressions)))
	for _, e := range ls.MatchExpressions {
		k.str(e.Key)
		k.str(string(e.Operator))
		k.strs(e.Values)
	}
}

func (k *keyWriter) nodeTerm(t corev1.NodeSelectorTerm) {
	for _, list := range [][]corev1.NodeSelectorRequirement{t.MatchExpressions, t.MatchFields} {
		k.int(int64(len(list)))
		for _, r := range list {
			k.str(r.Key)
			k.str(string(r.Operator))
			k.strs(r.Values)
		}
	}
}

func (k *keyWriter) podTerms(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm) {
	k.int(int64(len(required)))
	for _, t := range required {
		k.podTerm(t)
	}
	k.int(int64(len(preferred)))
	for _, w := range preferred {
		k.int(int64(w.Weight))
		k.podTerm(w.PodAffinityTerm)
	}
}

func (k *keyWriter) podTerm(t corev1.PodAffinityTerm) {
	k.selector(t.LabelSelector)
	k.strs(t.Namespaces)
	k.str(t.TopologyKey)
	if t.NamespaceSelector != nil {
		k.sep('s')
		k.selector(t.NamespaceSelector)
	}
	k.strs(t.MatchLabelKeys)
	k.strs(t.MismatchLabelKeys)
}
