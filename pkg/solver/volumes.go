package solver

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// volumeTopology answers where a pod's persistent volumes let it run, as the kube-scheduler's VolumeBinding
// and VolumeZone plugins do: a bound volume's node affinity; for an unbound claim whose StorageClass waits
// for the first consumer, the class's allowed topologies; an unbound claim with immediate binding blocks
// the pod until it is bound.
type volumeTopology struct {
	claims  map[string]*corev1.PersistentVolumeClaim
	volumes map[string]*corev1.PersistentVolume
	classes map[string]*storagev1.StorageClass
}

func newVolumeTopology(s *Snapshot) volumeTopology {
	v := volumeTopology{
		claims:  map[string]*corev1.PersistentVolumeClaim{},
		volumes: map[string]*corev1.PersistentVolume{},
		classes: map[string]*storagev1.StorageClass{},
	}
	for _, c := range s.PersistentVolumeClaims {
		v.claims[c.Namespace+"/"+c.Name] = c
	}
	for _, pv := range s.PersistentVolumes {
		v.volumes[pv.Name] = pv
	}
	for _, sc := range s.StorageClasses {
		v.classes[sc.Name] = sc
	}
	return v
}

// requirements returns the alternatives (ORed) of node requirements the pod's volumes impose, each already
// combining all volumes, and a problem that makes the pod unschedulable, if any.
func (v volumeTopology) requirements(pod *corev1.Pod) ([]scheduling.Requirements, string) {
	var alts []scheduling.Requirements
	for _, vol := range pod.Spec.Volumes {
		if vol.PersistentVolumeClaim == nil {
			continue
		}
		name := pod.Namespace + "/" + vol.PersistentVolumeClaim.ClaimName
		claim, ok := v.claims[name]
		if !ok {
			return nil, fmt.Sprintf("persistentvolumeclaim %q not found", name)
		}
		var terms []scheduling.Requirements
		switch {
		case claim.Spec.VolumeName != "":
			pv, ok := v.volumes[claim.Spec.VolumeName]
			if !ok {
				return nil, fmt.Sprintf("persistentvolumeclaim %q is bound to persistentvolume %q, which does not exist", name, claim.Spec.VolumeName)
			}
			if pv.Spec.NodeAffinity != nil && pv.Spec.NodeAffinity.Required != nil {
				for _, t := range pv.Spec.NodeAffinity.Required.NodeSelectorTerms {
					terms = append(terms, scheduling.FromNodeSelectorRequirements(t.MatchExpressions...))
				}
			}
		default:
			sc := v.storageClass(claim)
			if sc == nil {
				return nil, fmt.Sprintf("persistentvolumeclaim %q is unbound and its StorageClass %q does not exist", name, className(claim))
			}
			if sc.VolumeBindingMode == nil || *sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
				return nil, fmt.Sprintf("persistentvolumeclaim %q is unbound and StorageClass %q binds immediately; the pod waits until the volume is provisioned", name, sc.Name)
			}
			for _, t := range sc.AllowedTopologies {
				reqs := scheduling.Requirements{}
				for _, e := range t.MatchLabelExpressions {
					reqs.Add(scheduling.NewRequirement(e.Key, corev1.NodeSelectorOpIn, e.Values...))
				}
				terms = append(terms, reqs)
			}
		}
		if len(terms) == 0 {
			continue
		}
		alts = crossJoin(alts, terms)
	}
	return alts, ""
}

// describe renders the volume constraints canonically, for grouping pods.
func (v volumeTopology) describe(pod *corev1.Pod) (string, string) {
	alts, problem := v.requirements(pod)
	if problem != "" || len(alts) == 0 {
		return "", problem
	}
	parts := make([]string, len(alts))
	for i, a := range alts {
		parts[i] = a.String()
	}
	return strings.Join(parts, " | "), ""
}

func (v volumeTopology) storageClass(claim *corev1.PersistentVolumeClaim) *storagev1.StorageClass {
	if name := className(claim); name != "" {
		return v.classes[name]
	}
	// The default class; with several (a misconfiguration), the first by name, for a deterministic answer.
	for _, name := range slices.Sorted(maps.Keys(v.classes)) {
		if sc := v.classes[name]; sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			return sc
		}
	}
	return nil
}

func className(claim *corev1.PersistentVolumeClaim) string {
	if claim.Spec.StorageClassName != nil {
		return *claim.Spec.StorageClassName
	}
	return ""
}

// crossJoin intersects every alternative of a with every alternative of b; an empty a is "anything".
func crossJoin(a, b []scheduling.Requirements) []scheduling.Requirements {
	if len(a) == 0 {
		return b
	}
	out := make([]scheduling.Requirements, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			z := x.Copy()
			z.AddAll(y)
			out = append(out, z)
		}
	}
	return out
}
