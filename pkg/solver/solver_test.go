package solver_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

var zones3 = []string{"z-a", "z-b", "z-c"}

// uType is an instance type with cpu cores, memory GiB, an arch and a price, on demand in the zones.
func uType(name string, cpu, memGiB int64, arch string, price float64, zones ...string) *cloudprovider.InstanceType {
	if len(zones) == 0 {
		zones = zones3
	}
	var offerings cloudprovider.Offerings
	for _, z := range zones {
		offerings = append(offerings, cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeOnDemand, Price: price, Available: true})
	}
	return &cloudprovider.InstanceType{
		Name: name,
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
			scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, arch),
			scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, zones...),
			scheduling.NewRequirement(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand),
		),
		Offerings: offerings,
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewQuantity(cpu, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(memGiB<<30, resource.BinarySI),
			corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
		},
	}
}

func uTypes() []*cloudprovider.InstanceType {
	return []*cloudprovider.InstanceType{
		uType("small", 2, 4, "amd64", 0.10),
		uType("medium", 4, 8, "amd64", 0.20),
		uType("large", 8, 16, "amd64", 0.40),
		uType("arm-small", 2, 4, "arm64", 0.08),
	}
}

func uPool(name string, edit func(*v1.NodePool), types ...*cloudprovider.InstanceType) *solver.NodePool {
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if edit != nil {
		edit(np)
	}
	if len(types) == 0 {
		types = uTypes()
	}
	return &solver.NodePool{NodePool: np, InstanceTypes: types}
}

func uPods(prefix string, n int, cpu, mem string, edit func(*corev1.Pod)) []*corev1.Pod {
	out := make([]*corev1.Pod, n)
	for i := range out {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", prefix, i), Namespace: "default", Labels: map[string]string{"app": prefix}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
			}}}}},
		}
		if edit != nil {
			edit(p)
		}
		out[i] = p
	}
	return out
}

func uNode(name, zone string, cpu, memGiB int64, pods ...*corev1.Pod) *solver.Node {
	return &solver.Node{
		Name:   name,
		Labels: map[string]string{corev1.LabelHostname: name, corev1.LabelTopologyZone: zone, corev1.LabelArchStable: "amd64"},
		Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: *resource.NewQuantity(cpu, resource.DecimalSI), corev1.ResourceMemory: *resource.NewQuantity(memGiB<<30, resource.BinarySI),
			corev1.ResourcePods: *resource.NewQuantity(110, resource.DecimalSI),
		},
		Pods: pods,
	}
}

// where maps each placed pod to its node ("new-<claim index>" or the existing node's name) and zone.
func where(p *solver.Plan, s *solver.Snapshot) (nodeOf, zoneOf map[string]string) {
	nodeOf, zoneOf = map[string]string{}, map[string]string{}
	zones := map[string]string{}
	for _, n := range s.Nodes {
		zones[n.Name] = n.Labels[corev1.LabelTopologyZone]
	}
	for _, e := range p.Existing {
		for _, pod := range e.Pods {
			nodeOf[pod.Name], zoneOf[pod.Name] = e.Node, zones[e.Node]
		}
	}
	for i, c := range p.NewNodeClaims {
		for _, pod := range c.Pods {
			nodeOf[pod.Name], zoneOf[pod.Name] = fmt.Sprintf("new-%d", i), c.Zone
		}
	}
	return nodeOf, zoneOf
}

func solve(t *testing.T, s *solver.Snapshot) *solver.Plan {
	t.Helper()
	p := solver.Solve(s)
	checkPlan(t, s, p) // the independent checker from the property test
	return p
}

func TestExistingCapacityFirst(t *testing.T) {
	s := &solver.Snapshot{
		Pods:      uPods("web", 3, "500m", "512Mi", nil),
		Nodes:     []*solver.Node{uNode("node-1", "z-a", 4, 8)},
		NodePools: []*solver.NodePool{uPool("default", nil)},
	}
	p := solve(t, s)
	if len(p.NewNodeClaims) != 0 || len(p.Existing) != 1 || len(p.Existing[0].Pods) != 3 || p.PricePerHour != 0 {
		t.Errorf("want all three pods on node-1 at no cost, got %+v", p)
	}
}

func TestCheapestTypeAndOptions(t *testing.T) {
	amd64 := func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{corev1.LabelArchStable: "amd64"} }
	s := &solver.Snapshot{Pods: uPods("web", 3, "1500m", "2Gi", amd64), NodePools: []*solver.NodePool{uPool("default", nil)}}
	p := solve(t, s)
	// 4.5 cpu: small (2 cpu, 0.10) holds one pod, medium (4 cpu, 0.20) two, large (8 cpu, 0.40) three. The
	// cheapest placement is 0.30 (three smalls, or a medium and a small).
	if p.PricePerHour > 0.30+1e-9 {
		t.Errorf("price %v, want 0.30", p.PricePerHour)
	}
	for _, c := range p.NewNodeClaims {
		if c.InstanceTypeOptions[0].Name != c.InstanceType || c.Labels[corev1.LabelInstanceTypeStable] != c.InstanceType {
			t.Errorf("claim %s: options %+v, labels %v", c.InstanceType, c.InstanceTypeOptions, c.Labels)
		}
		for i := 1; i < len(c.InstanceTypeOptions); i++ {
			if c.InstanceTypeOptions[i].PricePerHour < c.InstanceTypeOptions[i-1].PricePerHour {
				t.Errorf("options not cheapest first: %+v", c.InstanceTypeOptions)
			}
		}
		for _, o := range c.InstanceTypeOptions {
			if o.Name == "arm-small" {
				t.Errorf("arm-small offered to amd64 pods")
			}
		}
	}
	if p.LowerBoundPricePerHour <= 0 || p.LowerBoundPricePerHour > p.PricePerHour {
		t.Errorf("lower bound %v not in (0, %v]", p.LowerBoundPricePerHour, p.PricePerHour)
	}
}

func TestNodeSelectorAndAffinity(t *testing.T) {
	arm := uPods("arm", 2, "500m", "1Gi", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{corev1.LabelArchStable: "arm64"} })
	zoneB := uPods("zb", 1, "500m", "1Gi", func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"z-b"}}}}},
		}}}
	})
	nowhere := uPods("nowhere", 1, "500m", "1Gi", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{corev1.LabelArchStable: "s390x"} })
	s := &solver.Snapshot{Pods: append(append(arm, zoneB...), nowhere...), NodePools: []*solver.NodePool{uPool("default", nil)}}
	p := solve(t, s)
	_, zoneOf := where(p, s)
	for _, c := range p.NewNodeClaims {
		for _, pod := range c.Pods {
			if strings.HasPrefix(pod.Name, "arm") && c.Labels[corev1.LabelArchStable] != "arm64" {
				t.Errorf("%s on %s", pod.Name, c.InstanceType)
			}
		}
	}
	if zoneOf["zb-0"] != "z-b" {
		t.Errorf("zb-0 in %q, want z-b", zoneOf["zb-0"])
	}
	if len(p.Unschedulable) != 1 || p.Unschedulable[0].Pod.Name != "nowhere-0" || !strings.Contains(p.Unschedulable[0].Reason, "kubernetes.io/arch") {
		t.Errorf("unschedulable = %+v, want nowhere-0 with a reason naming kubernetes.io/arch", p.Unschedulable)
	}
}

func TestTaintsAndWeights(t *testing.T) {
	gpu := uPool("gpu", func(np *v1.NodePool) {
		np.Spec.Weight = new(int32(50))
		np.Spec.Template.Spec.Taints = []v1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
	}, uType("gpu-node", 8, 32, "amd64", 3.0))
	general := uPool("general", func(np *v1.NodePool) { np.Spec.Weight = new(int32(10)) })
	tolerating := uPods("ml", 1, "1", "1Gi", func(p *corev1.Pod) {
		p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
	})
	plain := uPods("web", 1, "1", "1Gi", nil)
	s := &solver.Snapshot{Pods: append(tolerating, plain...), NodePools: []*solver.NodePool{general, gpu}}
	p := solve(t, s)
	pools := map[string]string{}
	for _, c := range p.NewNodeClaims {
		for _, pod := range c.Pods {
			pools[pod.Name] = c.NodePool
		}
	}
	if pools["ml-0"] != "gpu" {
		t.Errorf("ml-0 in pool %q: the heavier pool wins when the pod tolerates it, even at a higher price", pools["ml-0"])
	}
	if pools["web-0"] != "general" {
		t.Errorf("web-0 in pool %q: it does not tolerate the gpu pool's taint", pools["web-0"])
	}
	s.NodePools = []*solver.NodePool{gpu}
	p = solve(t, s)
	if len(p.Unschedulable) != 1 || !strings.Contains(p.Unschedulable[0].Reason, "does not tolerate taint dedicated=gpu:NoSchedule") {
		t.Errorf("unschedulable %+v, want web-0 with the taint named", p.Unschedulable)
	}
}

func TestZoneSpreadCountsRunningPods(t *testing.T) {
	spread := func(p *corev1.Pod) {
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	}
	running := uPods("running", 2, "100m", "100Mi", nil)
	for _, r := range running {
		r.Labels["app"] = "web"
	}
	s := &solver.Snapshot{
		Pods:      uPods("web", 7, "500m", "512Mi", spread),
		Nodes:     []*solver.Node{uNode("node-a", "z-a", 1, 2, running...)},
		NodePools: []*solver.NodePool{uPool("default", nil)},
	}
	p := solve(t, s)
	_, zoneOf := where(p, s)
	counts := map[string]int{"z-a": 2}
	for _, z := range zoneOf {
		counts[z]++
	}
	if counts["z-a"] != 3 || counts["z-b"] != 3 || counts["z-c"] != 3 {
		t.Errorf("zone counts %v, want 3/3/3 with the two running pods counted", counts)
	}
}

func TestAntiAffinityHostPortsAndHostnameSpread(t *testing.T) {
	anti := uPods("anti", 4, "100m", "100Mi", func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "anti"}}}}}}
	})
	ports := uPods("ports", 3, "100m", "100Mi", func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
	})
	s := &solver.Snapshot{Pods: append(anti, ports...), NodePools: []*solver.NodePool{uPool("default", nil)}}
	p := solve(t, s)
	nodeOf, _ := where(p, s)
	for _, group := range [][]*corev1.Pod{anti, ports} {
		seen := map[string]string{}
		for _, pod := range group {
			n := nodeOf[pod.Name]
			if other, ok := seen[n]; ok {
				t.Errorf("%s and %s share %s", other, pod.Name, n)
			}
			seen[n] = pod.Name
		}
	}
	if len(p.NewNodeClaims) != 4 {
		t.Errorf("%d nodes, want 4: anti-affine pods need their own, host-port pods fit beside them", len(p.NewNodeClaims))
	}
}

func TestPodAffinityFollowsRunningPods(t *testing.T) {
	db := uPods("db", 1, "100m", "100Mi", nil)
	s := &solver.Snapshot{
		Pods: uPods("cache", 3, "500m", "512Mi", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				TopologyKey: corev1.LabelTopologyZone, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}}}
		}),
		Nodes:     []*solver.Node{uNode("db-node", "z-c", 1, 1, db...)},
		NodePools: []*solver.NodePool{uPool("default", nil)},
	}
	p := solve(t, s)
	_, zoneOf := where(p, s)
	for pod, z := range zoneOf {
		if z != "z-c" {
			t.Errorf("%s in %s, want z-c beside the db pod", pod, z)
		}
	}
	// A running pod's anti-affinity keeps matching pods out of its node.
	guard := uPods("guard", 1, "100m", "100Mi", func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}}
	})
	s = &solver.Snapshot{Pods: uPods("web", 1, "100m", "100Mi", nil), Nodes: []*solver.Node{uNode("guarded", "z-a", 8, 16, guard...)}, NodePools: []*solver.NodePool{uPool("default", nil)}}
	p = solve(t, s)
	if len(p.Existing) != 0 || len(p.NewNodeClaims) != 1 {
		t.Errorf("web-0 must not join the guarded node: %+v", p)
	}
}

func TestVolumeTopology(t *testing.T) {
	wffc := storagev1.VolumeBindingWaitForFirstConsumer
	immediate := storagev1.VolumeBindingImmediate
	claim := func(name, class, volume string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: volume}}
	}
	withClaim := func(name string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name}}}}
		}
	}
	s := &solver.Snapshot{
		Pods: append(append(append(uPods("bound", 1, "100m", "100Mi", withClaim("bound")), uPods("wait", 1, "100m", "100Mi", withClaim("wait"))...),
			uPods("now", 1, "100m", "100Mi", withClaim("now"))...), uPods("missing", 1, "100m", "100Mi", withClaim("nope"))...),
		PersistentVolumeClaims: []*corev1.PersistentVolumeClaim{claim("bound", "gp3", "pv-1"), claim("wait", "zonal", ""), claim("now", "instant", "")},
		PersistentVolumes: []*corev1.PersistentVolume{{ObjectMeta: metav1.ObjectMeta{Name: "pv-1"}, Spec: corev1.PersistentVolumeSpec{NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"z-b"}}}}}}}}}},
		StorageClasses: []*storagev1.StorageClass{
			{ObjectMeta: metav1.ObjectMeta{Name: "zonal"}, VolumeBindingMode: &wffc, AllowedTopologies: []corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: corev1.LabelTopologyZone, Values: []string{"z-c"}}}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "instant"}, VolumeBindingMode: &immediate},
		},
		NodePools: []*solver.NodePool{uPool("default", nil)},
	}
	p := solve(t, s)
	_, zoneOf := where(p, s)
	if zoneOf["bound-0"] != "z-b" || zoneOf["wait-0"] != "z-c" {
		t.Errorf("bound-0 in %q (want z-b, its volume's zone), wait-0 in %q (want z-c, its class's topology)", zoneOf["bound-0"], zoneOf["wait-0"])
	}
	reasons := map[string]string{}
	for _, u := range p.Unschedulable {
		reasons[u.Pod.Name] = u.Reason
	}
	if !strings.Contains(reasons["now-0"], "binds immediately") || !strings.Contains(reasons["missing-0"], `"default/nope" not found`) {
		t.Errorf("reasons %v", reasons)
	}
}

func TestLimitsAndOversizedPods(t *testing.T) {
	limited := uPool("default", func(np *v1.NodePool) {
		np.Spec.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8")}
	})
	s := &solver.Snapshot{Pods: uPods("web", 6, "3", "1Gi", nil), NodePools: []*solver.NodePool{limited}}
	p := solve(t, s)
	if len(p.Unschedulable) == 0 || !strings.Contains(p.Unschedulable[0].Reason, "would exceed its cpu limit") {
		t.Errorf("want pods beyond the 8-cpu limit unschedulable with the limit named, got %+v", p.Unschedulable)
	}
	s = &solver.Snapshot{Pods: uPods("huge", 1, "64", "1Gi", nil), NodePools: []*solver.NodePool{uPool("default", nil)}}
	p = solve(t, s)
	if len(p.Unschedulable) != 1 || !strings.Contains(p.Unschedulable[0].Reason, "more than any matching instance type has room for (the largest, large") {
		t.Errorf("got %+v", p.Unschedulable)
	}
	s = &solver.Snapshot{Pods: uPods("web", 1, "1", "1Gi", nil)}
	if p = solve(t, s); len(p.Unschedulable) != 1 || !strings.Contains(p.Unschedulable[0].Reason, "no NodePool") {
		t.Errorf("without pools: %+v", p.Unschedulable)
	}
}

func TestPreferences(t *testing.T) {
	prefer := func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{
			NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 5,
				Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"z-c"}}}}}}},
			PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 50,
				PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: corev1.LabelTopologyZone, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}},
		}
	}
	s := &solver.Snapshot{Pods: uPods("web", 6, "500m", "512Mi", prefer), NodePools: []*solver.NodePool{uPool("default", nil)}}
	p := solve(t, s)
	_, zoneOf := where(p, s)
	counts := map[string]int{}
	for _, z := range zoneOf {
		counts[z]++
	}
	// The zone anti-affinity holds for one pod per zone, then is relaxed (it blocks); the zone preference
	// still steers the rest to z-c.
	if len(p.Unschedulable) != 0 || counts["z-c"] != 4 || counts["z-a"] != 1 || counts["z-b"] != 1 {
		t.Errorf("zones %v, unschedulable %d; want z-c 4, z-a 1, z-b 1", counts, len(p.Unschedulable))
	}
	s.Options.IgnorePreferences = true
	p = solve(t, s)
	_, zoneOf = where(p, s)
	for pod, z := range zoneOf {
		if z != "z-a" {
			t.Errorf("ignoring preferences, %s went to %s: nothing should steer it from the first zone", pod, z)
		}
	}
}

func TestDefaultTopologySpread(t *testing.T) {
	s := &solver.Snapshot{
		Pods:      uPods("web", 6, "500m", "512Mi", nil),
		NodePools: []*solver.NodePool{uPool("default", nil)},
		Options: solver.Options{DefaultTopologySpreadConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule},
		}},
	}
	p := solve(t, s)
	_, zoneOf := where(p, s)
	counts := map[string]int{}
	for _, z := range zoneOf {
		counts[z]++
	}
	if counts["z-a"] != 2 || counts["z-b"] != 2 || counts["z-c"] != 2 {
		t.Errorf("zones %v, want the scheduler's default spread applied: 2/2/2", counts)
	}
}

func TestMinValuesWidenOptions(t *testing.T) {
	var types []*cloudprovider.InstanceType
	for i, fam := range []string{"a", "b", "c", "d"} {
		it := uType(fam+".large", 4, 8, "amd64", 0.1+0.01*float64(i))
		it.Requirements.Add(scheduling.NewRequirement("example.com/family", corev1.NodeSelectorOpIn, fam))
		types = append(types, it)
	}
	pool := uPool("default", func(np *v1.NodePool) {
		np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{{Key: "example.com/family", Operator: corev1.NodeSelectorOpIn, Values: []string{"a", "b", "c", "d"}, MinValues: new(3)}}
	}, types...)
	s := &solver.Snapshot{Pods: uPods("web", 1, "1", "1Gi", nil), NodePools: []*solver.NodePool{pool}, Options: solver.Options{MaxInstanceTypeOptions: 1}}
	p := solve(t, s)
	if got := len(p.NewNodeClaims[0].InstanceTypeOptions); got < 3 {
		t.Errorf("%d options, want at least 3 families for minValues 3", got)
	}
}

// A pod whose node affinity takes any type in one zone but only small types elsewhere does not join a node in
// another zone whose minValues choice counted the large types: the launcher would be left one or two types
// where the pool asks for three.
func TestMinValuesCountsTypesUsableInTheNodesZone(t *testing.T) {
	var types []*cloudprovider.InstanceType
	for i, name := range []string{"small", "medium", "large", "xlarge"} {
		it := uType(name, 2<<i, 4<<i, "amd64", 0.1*float64(int(1)<<i))
		it.Offerings[1].Price *= 0.9 // z-b is cheapest, so the first node opens there
		types = append(types, it)
	}
	pool := uPool("default", func(np *v1.NodePool) {
		np.Spec.Template.Spec.Requirements = []v1.NodeSelectorRequirementWithMinValues{{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpExists, MinValues: new(3)}}
	}, types...)
	pods := uPods("big", 1, "1500m", "1Gi", nil)
	pods = append(pods, uPods("picky", 1, "100m", "128Mi", func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"z-a"}}}},
			{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"small", "medium"}}}},
		}}}}
	})...)
	p := solve(t, &solver.Snapshot{Pods: pods, NodePools: []*solver.NodePool{pool}})
	if len(p.Unschedulable) > 0 {
		t.Fatalf("unschedulable: %v", p.Unschedulable)
	}
	for _, nc := range p.NewNodeClaims {
		if got := len(nc.InstanceTypeOptions); got < 3 {
			t.Errorf("claim %s in %s with %d pods: %d instance type options %v, want at least the pool's minValues of 3", nc.InstanceType, nc.Zone, len(nc.Pods), got, nc.InstanceTypeOptions)
		}
	}
}

func TestDeterministic(t *testing.T) {
	s := &solver.Snapshot{Pods: diversePods(500), NodePools: []*solver.NodePool{benchPool(benchInstanceTypes(50))}}
	a, _ := json.Marshal(solver.Solve(s))
	b, _ := json.Marshal(solver.Solve(s))
	if string(a) != string(b) {
		t.Error("two solves of one snapshot differ")
	}
}

// Memory left beside a pod that does not fit twice is not room: three pods that each take most of a small
// node's memory go on one medium node for $0.20, not on three small ones for $0.30.
func TestWholePodsPerNodeDecideTheType(t *testing.T) {
	for _, constrained := range []bool{false, true} {
		edit := func(*corev1.Pod) {}
		if constrained {
			// A zone spread sends the class through the per-class opener rather than the bundle packer.
			edit = func(p *corev1.Pod) {
				p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
					MaxSkew: 3, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "mem"}},
				}}
			}
		}
		plan := solve(t, &solver.Snapshot{Pods: uPods("mem", 3, "1", "2500Mi", edit), NodePools: []*solver.NodePool{uPool("default", nil)}})
		if len(plan.NewNodeClaims) != 1 || plan.NewNodeClaims[0].InstanceType != "medium" {
			var got []string
			for _, nc := range plan.NewNodeClaims {
				got = append(got, nc.InstanceType)
			}
			t.Errorf("constrained=%v: new nodes %v, want one medium", constrained, got)
		}
	}
}
