package solver_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

func (c *planChecker) usedOn(n *stateNode) corev1.ResourceList {
	if n.used == nil {
		n.used = corev1.ResourceList{}
		for _, q := range n.pods {
			addTo(n.used, c.podInfoOf(q.pod).requests)
		}
	}
	return n.used
}

// fits returns why requests (plus one pod slot) do not fit next to used and podCount within alloc, or "". Only
// resources the pod asks for are compared, as the NodeResourcesFit filter does.
func fits(requests, used corev1.ResourceList, podCount int, alloc corev1.ResourceList) string {
	if fitsQuickly(requests, used, podCount, alloc) {
		return ""
	}
	var short []string
	if maxPods := alloc[corev1.ResourcePods]; int64(podCount+1) > maxPods.Value() {
		short = append(short, fmt.Sprintf("pods (%d + 1 > %s)", podCount, maxPods.String()))
	}
	for name, q := range requests {
		if name == corev1.ResourcePods || q.Sign() <= 0 {
			continue
		}
		u, limit := used[name], alloc[name]
		if u.MilliValue()+q.MilliValue() > limit.MilliValue() {
			short = append(short, fmt.Sprintf("%s (%s + %s > %s)", name, u.String(), q.String(), limit.String()))
		}
	}
	if len(short) == 0 {
		return ""
	}
	sort.Strings(short)
	return "insufficient " + strings.Join(short, ", ")
}

// addTo adds list into sum.
func addTo(sum, list corev1.ResourceList) {
	for name, q := range list {
		total := sum[name].DeepCopy()
		total.Add(q)
		sum[name] = total
	}
}

// sortedResourceNames lists a resource list's names in order.
func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	out := make([]corev1.ResourceName, 0, len(l))
	for name := range l {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// portFit returns why the pod's host ports collide with those of the pods on n, or "".
func (c *planChecker) portFit(pod *corev1.Pod, n *stateNode) string {
	mine := c.podInfoOf(pod).ports
	if len(mine) == 0 {
		return ""
	}
	for _, q := range n.pods {
		for _, o := range c.podInfoOf(q.pod).ports {
			for _, h := range mine {
				if h.conflicts(o) {
					return fmt.Sprintf("host port %s/%d is taken by %s/%s", h.protocol, h.port, q.pod.Namespace, q.pod.Name)
				}
			}
		}
	}
	return ""
}

// podName prints a pod's namespace and name.
func podName(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

// nodeDesc describes a node of the final state for messages.
func nodeDesc(n *stateNode) string {
	if n.claim != nil {
		return fmt.Sprintf("%s (pool %s, %s in %s/%s)", n.name, n.claim.NodePool, n.claim.InstanceType, n.claim.Zone, n.claim.CapacityType)
	}
	if n.fresh {
		return fmt.Sprintf("a fresh node (pool %s, %s in %s/%s)", n.pool.NodePool.Name, n.it.Name, n.labels()[corev1.LabelTopologyZone], n.labels()[v1.CapacityTypeLabelKey])
	}
	return "existing node " + n.name
}

// typeLabels returns the labels a node of the instance type carries whatever its offering (requirements with
// one value), and the keys its requirements say it does not carry.
func typeLabels(it *cloudprovider.InstanceType) (map[string]string, map[string]bool) {
	lbls, absent := map[string]string{}, map[string]bool{}
	for k, r := range it.Requirements {
		if k == corev1.LabelTopologyZone || k == v1.CapacityTypeLabelKey {
			continue
		}
		switch n := r.Len(); {
		case n == 1:
			v, _ := r.Any()
			lbls[k] = v
		case n == 0 && r.AllowsAbsent():
			absent[k] = true
		}
	}
	return lbls, absent
}

// poolAdmits reports whether labels satisfy the pool's requirements.
func (c *planChecker) poolAdmits(pool *solver.NodePool, lbls map[string]string) bool {
	for _, r := range pool.NodePool.Spec.Template.Spec.Requirements {
		if !requirementHolds(r.NodeSelectorRequirement(), lbls) {
			return false
		}
	}
	return true
}

// requirementHolds evaluates one node selector requirement against concrete labels, with the Kubernetes
// operator semantics: NotIn and DoesNotExist hold for an absent key; Gt and Lt compare integers.
func requirementHolds(r corev1.NodeSelectorRequirement, lbls map[string]string) bool {
	v, ok := lbls[r.Key]
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		return ok && slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpNotIn:
		return !ok || !slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpExists:
		return ok
	case corev1.NodeSelectorOpDoesNotExist:
		return !ok
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !ok || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		bound, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return (r.Operator == corev1.NodeSelectorOpGt && have > bound) || (r.Operator == corev1.NodeSelectorOpLt && have < bound)
	}
	return false
}

// poolAdmitsKeys reports whether labels satisfy the pool's requirements on the keys an instance type defines
// (its requirements' keys): what changes when a claim runs as another type. The other keys are judged once,
// on the claim itself.
func (c *planChecker) poolAdmitsKeys(pool *solver.NodePool, lbls map[string]string, keys scheduling.Requirements) bool {
	for _, r := range pool.NodePool.Spec.Template.Spec.Requirements {
		if keys.Has(r.Key) && !requirementHolds(r.NodeSelectorRequirement(), lbls) {
			return false
		}
	}
	return true
}

// offeringPrice returns the cheapest available offering price of it in zone and capacity type.
func offeringPrice(it *cloudprovider.InstanceType, zone, capacityType string) (float64, bool) {
	best, found := 0.0, false
	for _, o := range it.Offerings {
		if o.Available && o.Zone == zone && o.CapacityType == capacityType && (!found || o.Price < best) {
			best, found = o.Price, true
		}
	}
	return best, found
}

// fitsQuickly is fits without the explanation.
func fitsQuickly(requests, used corev1.ResourceList, podCount int, alloc corev1.ResourceList) bool {
	if maxPods := alloc[corev1.ResourcePods]; int64(podCount+1) > maxPods.Value() {
		return false
	}
	for name, q := range requests {
		if name == corev1.ResourcePods || q.Sign() <= 0 {
			continue
		}
		if u, limit := used[name], alloc[name]; u.MilliValue()+q.MilliValue() > limit.MilliValue() {
			return false
		}
	}
	return true
}

// substituteType returns claim labels as they would be with instance type it instead of the chosen one.
func (c *planChecker) substituteType(lbls map[string]string, chosen, it *cloudprovider.InstanceType) map[string]string {
	out := make(map[string]string, len(lbls))
	for k, v := range lbls {
		out[k] = v
	}
	if chosen != nil {
		for k := range chosen.Requirements {
			if k != corev1.LabelTopologyZone && k != v1.CapacityTypeLabelKey {
				delete(out, k)
			}
		}
	}
	for k, v := range c.typeLabelsOf(it).present {
		out[k] = v
	}
	return out
}

// typeLabelSet is what typeLabels returns, kept per instance type.
type typeLabelSet struct {
	present map[string]string
	absent  map[string]bool
}

// typeLabelsOf returns (once per instance type) typeLabels(it).
func (c *planChecker) typeLabelsOf(it *cloudprovider.InstanceType) typeLabelSet {
	if tl, ok := c.typeLbls[it]; ok {
		return tl
	}
	present, absent := typeLabels(it)
	tl := typeLabelSet{present: present, absent: absent}
	c.typeLbls[it] = tl
	return tl
}

// typeServes reports why instance type it, in the claim's zone and capacity type and with the claim's other
// labels, cannot run the claim's pods, or "".
func (c *planChecker) typeServes(n *stateNode, it *cloudprovider.InstanceType) string {
	lbls := c.substituteType(n.labels(), n.it, it)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: lbls}}
	if !c.poolAdmitsKeys(n.pool, lbls, it.Requirements) {
		return "its labels break the pool's requirements"
	}
	for _, q := range c.distinctAffinities(n) {
		if ok, err := c.podInfoOf(q.pod).affinity.Match(node); err != nil || !ok {
			return "pod " + podName(q.pod) + "'s node affinity rejects its labels"
		}
	}
	if why := fits(c.usedOn(n), corev1.ResourceList{}, len(n.pods)-1, c.available(it)); why != "" {
		return "the pods do not fit: " + why
	}
	return ""
}

// available returns (once per instance type) what pods may use on a new node of the type.
func (c *planChecker) available(it *cloudprovider.InstanceType) corev1.ResourceList {
	if a, ok := c.avail[it]; ok {
		return a
	}
	a := it.Available()
	c.avail[it] = a
	return a
}

// distinctAffinities returns (once) one pod of the claim per distinct nodeSelector and node affinity.
func (c *planChecker) distinctAffinities(n *stateNode) []*statePod {
	if n.distinct != nil {
		return n.distinct
	}
	seen := map[string]bool{}
	n.distinct = []*statePod{}
	for _, q := range n.pods {
		if key := nodeAffinityKey(q.pod); !seen[key] {
			seen[key] = true
			n.distinct = append(n.distinct, q)
		}
	}
	return n.distinct
}

// checkClaims verifies each new claim's pool, type, offering, price, labels and instance type options.
func (c *planChecker) checkClaims() {
	configured := c.s.Options.MaxInstanceTypeOptions
	if configured == 0 {
		configured = defaultMaxOptions
	}
	for i, nc := range c.p.NewNodeClaims {
		if nc == nil {
			continue
		}
		n := c.claimNodes[i]
		where := fmt.Sprintf("new claim %d (pool %s, %s in %s/%s)", i, nc.NodePool, nc.InstanceType, nc.Zone, nc.CapacityType)
		if len(nc.Pods) == 0 {
			c.add(ruleClaim, "%s has no pods", where)
		}
		if n.pool == nil {
			c.add(ruleClaim, "%s names a pool not in the snapshot", where)
			continue
		}
		if n.it == nil {
			c.add(ruleClaim, "%s names an instance type the pool does not offer", where)
			continue
		}
		price, ok := offeringPrice(n.it, nc.Zone, nc.CapacityType)
		switch {
		case !ok:
			c.add(ruleClaim, "%s: no available offering of %s in %s/%s", where, nc.InstanceType, nc.Zone, nc.CapacityType)
		case math.Abs(price-nc.PricePerHour) > priceEpsilon:
			c.add(ruleClaim, "%s: price %v, but the offering costs %v", where, nc.PricePerHour, price)
		}
		c.checkClaimLabels(where, n)
		c.checkClaimRequests(where, n)
		// minValues wins over the configured bound: a claim with fewer types than minValues may not launch.
		maxOptions := configured
		for _, r := range n.pool.NodePool.Spec.Template.Spec.Requirements {
			if r.MinValues != nil {
				maxOptions = max(maxOptions, *r.MinValues)
			}
		}
		c.checkOptions(where, n, maxOptions)
	}
}

// checkClaimLabels verifies that a claim's labels are the node's labels: pool template labels, zone, capacity
// type, the instance type's labels, the pool's requirements and the claim's own requirements.
func (c *planChecker) checkClaimLabels(where string, n *stateNode) {
	nc, lbls := n.claim, nc0Labels(n.claim)
	want := map[string]string{
		corev1.LabelTopologyZone:       nc.Zone,
		v1.CapacityTypeLabelKey:        nc.CapacityType,
		corev1.LabelInstanceTypeStable: nc.InstanceType,
	}
	for k, v := range n.pool.NodePool.Spec.Template.ObjectMeta.Labels {
		want[k] = string(v)
	}
	tl := c.typeLabelsOf(n.it)
	for k, v := range tl.present {
		want[k] = v
	}
	for _, k := range sortedKeys(want) {
		if got, ok := lbls[k]; !ok || got != want[k] {
			c.add(ruleClaim, "%s: label %s is %q (present %v), want %q", where, k, got, ok, want[k])
		}
	}
	for _, k := range sortedKeys(tl.absent) {
		if v, ok := lbls[k]; ok {
			c.add(ruleClaim, "%s: label %s=%s, but the instance type has no such label", where, k, v)
		}
	}
	if !c.poolAdmits(n.pool, n.labels()) {
		c.add(ruleClaimReqs, "%s: labels %v do not satisfy the pool's requirements %v", where, lbls, n.pool.NodePool.Spec.Template.Spec.Requirements)
	}
	for _, k := range nc.Requirements.Keys() {
		r := nc.Requirements[k]
		v, ok := lbls[k]
		if (ok && !r.Has(v)) || (!ok && !r.AllowsAbsent()) {
			c.add(ruleClaimReqs, "%s: label %s=%q (present %v) breaks the claim's own requirement %s", where, k, v, ok, r)
		}
	}
}

// nc0Labels returns a claim's labels, never nil.
func nc0Labels(nc *solver.NewNodeClaim) map[string]string {
	if nc.Labels == nil {
		return map[string]string{}
	}
	return nc.Labels
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkClaimRequests verifies that a claim's Requests are its pods' total requests.
func (c *planChecker) checkClaimRequests(where string, n *stateNode) {
	total := corev1.ResourceList{}
	for _, q := range n.pods {
		addTo(total, c.podInfoOf(q.pod).requests)
	}
	for _, name := range sortedResourceNames(total) {
		got := n.claim.Requests[name]
		if want := total[name]; got.Cmp(want) != 0 {
			c.add(ruleClaim, "%s: requests %s = %s, but its pods request %s", where, name, got.String(), want.String())
		}
	}
	for _, name := range sortedResourceNames(n.claim.Requests) {
		if _, ok := total[name]; !ok && name != corev1.ResourcePods {
			if q := n.claim.Requests[name]; !q.IsZero() {
				c.add(ruleClaim, "%s: requests %s = %s, which no pod requests", where, name, q.String())
			}
		}
	}
}

// checkOptions verifies a claim's instance type options: bounded, unique, sorted by price, led by the chosen
// type, each with an offering at its price in the claim's zone and capacity type and able to run every pod;
// enough distinct values for the pool's minValues; and no cheaper compatible type of the pool left out.
func (c *planChecker) checkOptions(where string, n *stateNode, maxOptions int) {
	nc := n.claim
	opts := nc.InstanceTypeOptions
	if len(opts) == 0 || len(opts) > maxOptions {
		c.add(ruleOptions, "%s has %d instance type options, want 1 to %d", where, len(opts), maxOptions)
	}
	if len(opts) > 0 && (opts[0].Name != nc.InstanceType || math.Abs(opts[0].PricePerHour-nc.PricePerHour) > priceEpsilon) {
		c.add(ruleOptions, "%s: first option is %s at %v, want the chosen %s at %v", where, opts[0].Name, opts[0].PricePerHour, nc.InstanceType, nc.PricePerHour)
	}
	seen := map[string]bool{}
	var types []*cloudprovider.InstanceType
	for j, o := range opts {
		if j > 0 && o.PricePerHour < opts[j-1].PricePerHour {
			c.add(ruleOptions, "%s: options not sorted by price: %s at %v after %s at %v", where, o.Name, o.PricePerHour, opts[j-1].Name, opts[j-1].PricePerHour)
		}
		if seen[o.Name] {
			c.add(ruleOptions, "%s: option %s listed twice", where, o.Name)
			continue
		}
		seen[o.Name] = true
		it := findType(n.pool, o.Name)
		if it == nil {
			c.add(ruleOptions, "%s: option %s is not an instance type of the pool", where, o.Name)
			continue
		}
		types = append(types, it)
		if price, ok := offeringPrice(it, nc.Zone, nc.CapacityType); !ok || math.Abs(price-o.PricePerHour) > priceEpsilon {
			c.add(ruleOptions, "%s: option %s at %v, but its offering in %s/%s is %v (available %v)", where, o.Name, o.PricePerHour, nc.Zone, nc.CapacityType, price, ok)
		}
		if why := c.typeServes(n, it); why != "" {
			c.add(ruleOptions, "%s: option %s cannot serve the claim: %s", where, o.Name, why)
		}
	}
	for _, r := range n.pool.NodePool.Spec.Template.Spec.Requirements {
		if r.MinValues == nil {
			continue
		}
		values := map[string]bool{}
		for _, it := range types {
			if v, ok := c.substituteType(n.labels(), n.it, it)[r.Key]; ok {
				values[v] = true
			}
		}
		if len(values) < *r.MinValues {
			c.add(ruleOptions, "%s: options carry %d distinct values of %s, the pool's minValues is %d", where, len(values), r.Key, *r.MinValues)
		}
	}
	if len(types) == 0 {
		return
	}
	used := c.poolUsed(n.pool)
	for _, it := range n.pool.InstanceTypes {
		if seen[it.Name] {
			continue
		}
		price, ok := offeringPrice(it, nc.Zone, nc.CapacityType)
		if !ok || price >= nc.PricePerHour-priceEpsilon {
			continue
		}
		if c.typeServes(n, it) != "" || c.losesPreference(n, it) {
			continue
		}
		swapped := used.DeepCopy()
		subtractFrom(swapped, n.it.Capacity)
		subtractFrom(swapped, corev1.ResourceList{"nodes": *resource.NewQuantity(1, resource.DecimalSI)})
		if !c.limitsAdmit(n.pool, swapped, it) {
			continue
		}
		c.add(ruleCheapest, "%s at %v: %s at %v in the same zone and capacity type runs all %d of its pods within the pool's requirements and limits",
			where, nc.PricePerHour, it.Name, price, len(n.pods))
		break
	}
}

// losesPreference reports whether running the claim as instance type it would lose a preferred node affinity
// term some pod on the claim now enjoys. Unless Options.IgnorePreferences, the solver honours preferences
// and relaxes them only for pods it cannot place otherwise, so a pricier type that meets one is legitimate.
func (c *planChecker) losesPreference(n *stateNode, it *cloudprovider.InstanceType) bool {
	if c.s.Options.IgnorePreferences {
		return false
	}
	alt := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: c.substituteType(n.labels(), n.it, it)}}
	for _, q := range n.pods {
		a := q.pod.Spec.Affinity
		if a == nil || a.NodeAffinity == nil {
			continue
		}
		for _, pref := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			sel, err := nodeaffinity.NewNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{pref.Preference}})
			if err == nil && sel.Match(n.node) && !sel.Match(alt) {
				return true
			}
		}
	}
	return false
}

// subtractFrom subtracts list from sum.
func subtractFrom(sum, list corev1.ResourceList) {
	for name, q := range list {
		total := sum[name].DeepCopy()
		total.Sub(q)
		sum[name] = total
	}
}

// poolUsed returns what counts against the pool's limits in the final state: its usage plus the capacity of
// its new claims, "nodes" included.
func (c *planChecker) poolUsed(pool *solver.NodePool) corev1.ResourceList {
	if used, ok := c.used[pool]; ok {
		return used
	}
	used := corev1.ResourceList{}
	c.used[pool] = used
	addTo(used, pool.Usage)
	for _, n := range c.nodes {
		if n.claim == nil || n.pool != pool || n.it == nil {
			continue
		}
		addTo(used, n.it.Capacity)
		addTo(used, corev1.ResourceList{corev1.ResourceName("nodes"): *resource.NewQuantity(1, resource.DecimalSI)})
	}
	return used
}

// limitsAdmit reports whether one more node of type it fits within the pool's limits on top of used.
func (c *planChecker) limitsAdmit(pool *solver.NodePool, used corev1.ResourceList, it *cloudprovider.InstanceType) bool {
	for name, limit := range pool.NodePool.Spec.Limits {
		total := used[name].DeepCopy()
		if name == "nodes" {
			total.Add(*resource.NewQuantity(1, resource.DecimalSI))
		} else {
			total.Add(it.Capacity[name])
		}
		if total.Cmp(limit) > 0 {
			return false
		}
	}
	return true
}

// checkCapacity verifies that no node of the final state is asked for more than it has.
