package solver

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// class is a set of pending pods that are interchangeable for scheduling: same namespace, labels, requests
// and constraints. The solver places classes with counts instead of pods one by one.
type class struct {
	id        int
	key       string
	pods      []*corev1.Pod
	placed    int
	namespace string
	labels    map[string]string
	req       vector
	requests  corev1.ResourceList

	// required are the alternatives of node requirements (ORed): nodeSelector ∩ each required node
	// affinity term ∩ volume topology.
	required []scheduling.Requirements
	// affinity are the alternatives of the pod's own nodeSelector and required node affinity, which decide
	// the domains topology spread counts (volumes and preferences do not).
	affinity    []scheduling.Requirements
	tolerations []corev1.Toleration
	hostPorts   []string

	// base rules are required; prefs are preferences treated as required until relaxed.
	baseRules []*rule
	prefs     []preference
	active    int // how many prefs are in force

	// Derived from the above for the current relaxation level (see refresh).
	alts     []scheduling.Requirements
	rules    []*rule
	options  []*option
	matching []*podSelector // selectors that select this class's pods
	blocked  []*rule        // anti-affinity rules of others (or its own) whose selector selects this class
	watched  []*rule        // other classes' required spread rules whose selector selects this class
	counted  []*rule        // every spread rule whose selector selects this class's pods
	level    int            // bumped on every refresh; part of cache keys

	staticReason string // set when the pods can never be placed (e.g. a missing PVC)
	lastBlock    string // why the last placement attempt stopped
	cursor       map[string]int
	usable       map[*poolType]bool // types among the options, for resizing new nodes
	usableAt     map[usableKey]bool // whether a type is usable in a zone and capacity type (see usableIn)
	usableLevel  int
	ladders      map[ladderKey][]rung // cheapest type per number of pods held (see cheapestHolding)
	laddersLevel int
	optionKey    string   // classes with equal keys have the same node requirements and tolerations
	zones        []string // zones of the nodes and offerings the class may use
	verdicts     []uint8  // per node signature: bit 0/1 labels known/admitted, bit 2/3 taints known/tolerated
	rank         int
	size         float64
}

// usableKey is a type in a zone and capacity type.
type usableKey struct {
	pt                 *poolType
	zone, capacityType string
}

func (c *class) remaining() int { return len(c.pods) - c.placed }

// preference is a soft constraint: a preferred node affinity term, a preferred pod (anti-)affinity term or a
// ScheduleAnyway topology spread constraint.
type preference struct {
	weight int32
	on     bool
	// node narrows every alternative when set.
	node scheduling.Requirements
	// rule adds a domain rule when set.
	rule *rule
}

// ruleKind is the kind of a domain rule.
type ruleKind int

const (
	ruleSpread ruleKind = iota
	ruleAffinity
	ruleAntiAffinity
)

// rule is a constraint on the topology domains a class's pods may use: topology spread, pod affinity or
// pod anti-affinity, evaluated with the counter's incremental counts.
type rule struct {
	kind        ruleKind
	selector    *podSelector
	key         string
	maxSkew     int
	minDomains  int
	honorTaints bool
	// class owns the rule; nil for a running pod's.
	class *class
	// ignoreAffinity counts domains of nodes the pod's node affinity excludes (nodeAffinityPolicy Ignore).
	ignoreAffinity bool
	// self is true when the class's own pods match the selector.
	self bool
	// eligible are the domains a spread rule balances across, computed per class; newDomain means a new
	// node can open an empty domain (hostname spread).
	eligible  []string
	newDomain bool
	// owner counts, for anti-affinity symmetry: how many pods holding this rule are in each domain.
	owners map[string]int
	// counts are a spread rule's matching pods per domain, on nodes it counts (see countsOn); accepted
	// caches countsOn per node signature.
	counts   map[string]int
	accepted map[int]bool
	// least and memo are valid during one placement step (see prepare).
	least int
	memo  []memoEntry
	// required rules bind other pods too (anti-affinity symmetry); preferences only steer their own.
	required bool
	id       int
}

func (r *rule) String() string {
	switch r.kind {
	case ruleSpread:
		return fmt.Sprintf("topology spread on %s (maxSkew %d)", r.key, r.maxSkew)
	case ruleAffinity:
		return fmt.Sprintf("pod affinity on %s to pods matching %s", r.key, r.selector.selector)
	default:
		return fmt.Sprintf("pod anti-affinity on %s to pods matching %s", r.key, r.selector.selector)
	}
}

// hostPorts lists the host ports a pod binds, as protocol/ip/port.
func hostPorts(pod *corev1.Pod) []string {
	var out []string
	for _, containers := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range containers {
			for _, p := range c.Ports {
				if p.HostPort <= 0 {
					continue
				}
				proto := p.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				ip := p.HostIP
				if ip == "" {
					ip = "0.0.0.0"
				}
				out = append(out, string(proto)+"/"+ip+"/"+strconv.Itoa(int(p.HostPort)))
			}
		}
	}
	slices.Sort(out)
	return out
}

// portsConflict reports whether two host-port bindings collide: same protocol and port, and the same IP or
// either on every address.
func portsConflict(a, b string) bool {
	if a == b {
		return true
	}
	pa, pb := splitPort(a), splitPort(b)
	return pa[0] == pb[0] && pa[2] == pb[2] && (pa[1] == "0.0.0.0" || pb[1] == "0.0.0.0")
}

func splitPort(s string) [3]string {
	var out [3]string
	i, j := 0, 0
	for k := range s {
		if s[k] == '/' {
			out[j] = s[i:k]
			j++
			i = k + 1
		}
	}
	out[2] = s[i:]
	return out
}

// newClass builds a class from its first pod.
func (s *solver) newClass(key string, pod *corev1.Pod) *class {
	c := &class{
		id:          len(s.classes),
		key:         key,
		namespace:   pod.Namespace,
		labels:      pod.Labels,
		tolerations: pod.Spec.Tolerations,
		hostPorts:   hostPorts(pod),
		cursor:      map[string]int{},
	}
	c.requests = scheduling.PodRequests(pod)
	s.res.addAll(c.requests)

	volumeReqs, problem := s.volumes.requirements(pod)
	if problem != "" {
		c.staticReason = problem
	}
	c.affinity = scheduling.PodRequirements(pod)
	for _, alt := range c.affinity {
		if len(volumeReqs) == 0 {
			c.required = append(c.required, alt)
			continue
		}
		for _, v := range volumeReqs {
			combined := alt.Copy()
			combined.AddAll(v)
			c.required = append(c.required, combined)
		}
	}

	// Topology spread: the pod's own constraints, else the cluster's defaults.
	spreads := pod.Spec.TopologySpreadConstraints
	if len(spreads) == 0 && len(s.snapshot.Options.DefaultTopologySpreadConstraints) > 0 && len(pod.Labels) > 0 {
		for _, d := range s.snapshot.Options.DefaultTopologySpreadConstraints {
			d.LabelSelector = &metav1.LabelSelector{MatchLabels: pod.Labels}
			spreads = append(spreads, d)
		}
	}
	for _, tsc := range spreads {
		r := s.spreadRule(pod, tsc)
		if r == nil {
			continue
		}
		if tsc.WhenUnsatisfiable == corev1.ScheduleAnyway {
			c.prefs = append(c.prefs, preference{weight: 0, rule: r})
		} else {
			r.required = true
			c.baseRules = append(c.baseRules, r)
		}
	}
	if a := pod.Spec.Affinity; a != nil {
		if na := a.NodeAffinity; na != nil {
			for _, p := range na.PreferredDuringSchedulingIgnoredDuringExecution {
				c.prefs = append(c.prefs, preference{weight: p.Weight, node: scheduling.FromNodeSelectorRequirements(p.Preference.MatchExpressions...)})
			}
		}
		if pa := a.PodAffinity; pa != nil {
			for _, t := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
				c.baseRules = append(c.baseRules, s.termRule(ruleAffinity, pod, t))
			}
			for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
				c.prefs = append(c.prefs, preference{weight: w.Weight, rule: s.termRule(ruleAffinity, pod, w.PodAffinityTerm)})
			}
		}
		if pa := a.PodAntiAffinity; pa != nil {
			for _, t := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
				if r := s.termRule(ruleAntiAffinity, pod, t); r != nil {
					r.required = true
					c.baseRules = append(c.baseRules, r)
				}
			}
			for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
				c.prefs = append(c.prefs, preference{weight: w.Weight, rule: s.termRule(ruleAntiAffinity, pod, w.PodAffinityTerm)})
			}
		}
	}
	c.baseRules = slices.DeleteFunc(c.baseRules, func(r *rule) bool { return r == nil })
	c.prefs = slices.DeleteFunc(c.prefs, func(p preference) bool { return p.node == nil && p.rule == nil })
	for _, r := range c.baseRules {
		r.class = c
	}
	for _, p := range c.prefs {
		if p.rule != nil {
			p.rule.class = c
		}
	}
	// Heaviest preferences are relaxed last.
	slices.SortStableFunc(c.prefs, func(a, b preference) int { return cmp.Compare(b.weight, a.weight) })
	if !s.snapshot.Options.IgnorePreferences {
		c.active = len(c.prefs)
		for i := range c.prefs {
			c.prefs[i].on = true
		}
	}
	return c
}

// spreadRule turns a topology spread constraint into a rule, with matchLabelKeys folded into the selector.
func (s *solver) spreadRule(pod *corev1.Pod, tsc corev1.TopologySpreadConstraint) *rule {
	ls := tsc.LabelSelector
	if len(tsc.MatchLabelKeys) > 0 && ls != nil {
		ls = ls.DeepCopy()
		for _, k := range tsc.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpIn, Values: []string{v}})
			}
		}
	}
	sel := s.counter.intern(ls, sets.New(pod.Namespace), tsc.TopologyKey)
	if sel == nil {
		return nil
	}
	r := &rule{kind: ruleSpread, selector: sel, key: tsc.TopologyKey, maxSkew: int(max(tsc.MaxSkew, 1)), id: len(s.rules), owners: map[string]int{}, counts: map[string]int{}, accepted: map[int]bool{}}
	if tsc.MinDomains != nil {
		r.minDomains = int(*tsc.MinDomains)
	}
	r.honorTaints = tsc.NodeTaintsPolicy != nil && *tsc.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor
	r.ignoreAffinity = tsc.NodeAffinityPolicy != nil && *tsc.NodeAffinityPolicy == corev1.NodeInclusionPolicyIgnore
	s.rules = append(s.rules, r)
	return r
}

// termRule turns a pod (anti-)affinity term into a rule.
func (s *solver) termRule(kind ruleKind, pod *corev1.Pod, term corev1.PodAffinityTerm) *rule {
	ls := term.LabelSelector
	if len(term.MatchLabelKeys) > 0 || len(term.MismatchLabelKeys) > 0 {
		ls = ls.DeepCopy()
		if ls == nil {
			ls = &metav1.LabelSelector{}
		}
		for _, k := range term.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpIn, Values: []string{v}})
			}
		}
		for _, k := range term.MismatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpNotIn, Values: []string{v}})
			}
		}
	}
	sel := s.counter.intern(ls, termNamespaces(term, pod.Namespace), term.TopologyKey)
	if sel == nil {
		return nil
	}
	r := &rule{kind: kind, selector: sel, key: term.TopologyKey, id: len(s.rules), owners: map[string]int{}}
	s.rules = append(s.rules, r)
	return r
}

// verdict caches a yes/no answer per node signature; which selects one of two answers per signature.
func (c *class) verdict(sig, which int, compute func() bool) bool {
	if sig >= len(c.verdicts) {
		c.verdicts = append(c.verdicts, make([]uint8, sig+1-len(c.verdicts))...)
	}
	known, yes := uint8(1)<<(2*which), uint8(2)<<(2*which)
	v := c.verdicts[sig]
	if v&known == 0 {
		v |= known
		if compute() {
			v |= yes
		}
		c.verdicts[sig] = v
	}
	return v&yes != 0
}

// memoEntry is a rule's allowance for a domain, remembered for one placement step.
type memoEntry struct {
	domain string
	has    bool
	allow  int
}
