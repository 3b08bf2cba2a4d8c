package solver

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
)

// podSelector selects pods by labels within a set of namespaces, as topology spread and pod (anti-)affinity
// terms do. Selectors are interned: equal selectors share one id and one set of counts.
type podSelector struct {
	id int
	// namespaces the selector looks in; nil means every namespace.
	namespaces sets.Set[string]
	selector   labels.Selector
	// keys are the topology keys counted for this selector.
	keys sets.Set[string]
}

func (s *podSelector) matches(namespace string, podLabels map[string]string) bool {
	if s.namespaces != nil && !s.namespaces.Has(namespace) {
		return false
	}
	return s.selector.Matches(labels.Set(podLabels))
}

// counter counts pods matching each selector per topology domain, incrementally as pods are placed.
type counter struct {
	selectors []*podSelector
	byKey     map[string]*podSelector
	// counts[selector id][topology key][domain] is the number of matching pods in the domain.
	counts []map[string]map[string]int
	// totals[selector id] is the number of matching pods anywhere.
	totals []int
	// keyTotals[selector id][topology key] is the number of matching pods on nodes that have the key.
	keyTotals []map[string]int
}

func newCounter() *counter { return &counter{byKey: map[string]*podSelector{}} }

// intern returns the selector for a label selector in namespaces (nil: all), counting topologyKey. It
// returns nil for a selector that cannot be parsed, which selects nothing.
func (c *counter) intern(ls *metav1.LabelSelector, namespaces sets.Set[string], topologyKey string) *podSelector {
	selector, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil
	}
	if ls == nil {
		selector = labels.Nothing()
	}
	key := selector.String() + "|" + namespaceKey(namespaces)
	s, ok := c.byKey[key]
	if !ok {
		s = &podSelector{id: len(c.selectors), namespaces: namespaces, selector: selector, keys: sets.New[string]()}
		c.byKey[key] = s
		c.selectors = append(c.selectors, s)
		c.counts = append(c.counts, map[string]map[string]int{})
		c.totals = append(c.totals, 0)
		c.keyTotals = append(c.keyTotals, map[string]int{})
	}
	if !s.keys.Has(topologyKey) {
		s.keys.Insert(topologyKey)
		c.counts[s.id][topologyKey] = map[string]int{}
	}
	return s
}

func namespaceKey(ns sets.Set[string]) string {
	if ns == nil {
		return "*"
	}
	return strings.Join(sets.List(ns), ",")
}

// add records k pods on a node with nodeLabels that match the selectors in matching.
func (c *counter) add(matching []*podSelector, nodeLabels map[string]string, k int) {
	for _, s := range matching {
		c.totals[s.id] += k
		for key, domains := range c.counts[s.id] {
			if d, ok := nodeLabels[key]; ok {
				domains[d] += k
				c.keyTotals[s.id][key] += k
			}
		}
	}
}

// keyTotal is the number of pods matching s on nodes that carry the topology key.
func (c *counter) keyTotal(s *podSelector, key string) int { return c.keyTotals[s.id][key] }

// count is the number of pods matching s in the domain.
func (c *counter) count(s *podSelector, key, domain string) int { return c.counts[s.id][key][domain] }

// matching returns the selectors that select a pod with these labels.
func (c *counter) matching(namespace string, podLabels map[string]string) []*podSelector {
	var out []*podSelector
	for _, s := range c.selectors {
		if s.matches(namespace, podLabels) {
			out = append(out, s)
		}
	}
	return out
}

// termNamespaces is the namespaces a pod affinity term looks in: its list, all namespaces for an empty
// namespace selector, else the pod's own. A non-empty namespace selector cannot be evaluated without
// namespace labels and is treated as all namespaces, which is conservative for anti-affinity.
func termNamespaces(term corev1.PodAffinityTerm, podNamespace string) sets.Set[string] {
	if term.NamespaceSelector != nil {
		return nil
	}
	if len(term.Namespaces) > 0 {
		return sets.New(term.Namespaces...)
	}
	return sets.New(podNamespace)
}
