package solver_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// Label keys, taints and names of the generated world.
const (
	genRegion           = "us-west-2"
	genMissingZone      = "us-west-2d" // a zone nothing is offered in
	genTeamKey          = "example.com/team"
	genTierKey          = "example.com/tier"
	genDedicatedKey     = "example.com/dedicated"
	genMaintenanceKey   = "example.com/maintenance"
	genReservedKey      = "example.com/reserved"
	genStartupKey       = "node.example.com/agent-not-ready"
	genMissingLabelKey  = "example.com/nonexistent"
	genHashKey          = "pod-template-hash"
	genInstanceCPU      = "aws.stevedore.dev/instance-cpu"
	genInstanceMemory   = "aws.stevedore.dev/instance-memory"
	genInstanceFamily   = "aws.stevedore.dev/instance-family"
	genInstanceGPUCount = "aws.stevedore.dev/instance-gpu-count"
	genClassWFFC        = "gp3-wffc"
	genClassZonal       = "gp3-zonal"
	genClassImmediate   = "gp3-immediate"
	genGPU              = corev1.ResourceName("nvidia.com/gpu")
)

// genZones are the zones instance types are offered in.
var genZones = []string{"us-west-2a", "us-west-2b", "us-west-2c"}

// genFamily is an instance family: architecture, memory per vCPU and whether it has GPUs.
type genFamily struct {
	name, arch string
	gibPerCPU  int64
	gpu        bool
}

var genFamilies = []genFamily{
	{"c5", "amd64", 2, false}, {"c6g", "arm64", 2, false},
	{"m5", "amd64", 4, false}, {"m6g", "arm64", 4, false},
	{"r5", "amd64", 8, false}, {"r6g", "arm64", 8, false},
	{"t3", "amd64", 4, false}, {"g5", "amd64", 4, true},
}

var genSizes = []struct {
	name string
	cpu  int64
}{{"medium", 1}, {"large", 2}, {"xlarge", 4}, {"2xlarge", 8}, {"4xlarge", 16}, {"8xlarge", 32}, {"12xlarge", 48}, {"16xlarge", 64}}

// genShape is an instance type of the generated catalog, before a pool's DaemonSet overhead is applied.
type genShape struct {
	name, family, arch        string
	cpu, memMiB, pods, gpus   int64
	offerings                 cloudprovider.Offerings
	zones, capacityTypes      []string
	kubeReservedCPUMillicores int64
}

// genWorkload is a set of identical pods, as a Deployment or StatefulSet produces them.
type genWorkload struct {
	app, ns, hash string
	template      *corev1.Pod
	// volumes is "", "bound", "shared", "wffc" or "zonal": how the pods get persistent volumes.
	volumes    string
	sharedZone string
	replicas   int
}

// randomSnapshot builds a varied, valid snapshot from r: 1–3 NodePools of 5–40 synthetic instance types,
// 0–10 existing nodes with running pods, and 1–300 pending pods from a handful of workloads with a mix of
// scheduling constraints, volumes and the occasional impossible pod. The same r state gives the same snapshot.
func randomSnapshot(r *rand.Rand) *solver.Snapshot {
	s := &solver.Snapshot{}
	catalog := genCatalog(r)
	allTainted := genChance(r, 0.05)
	pools := make([]*solver.NodePool, 1+r.IntN(3))
	for i := range pools {
		pools[i] = genPool(r, i, catalog, allTainted)
	}
	s.NodePools = pools
	workloads := genWorkloads(r, pools, catalog)
	s.Nodes = genNodes(r, pools, catalog, workloads, allTainted)
	genUsage(r, s)
	s.StorageClasses = genStorageClasses()
	for _, w := range workloads {
		genPending(r, s, w)
	}
	if genChance(r, 0.2) {
		s.Options.IgnorePreferences = true
	}
	if genChance(r, 0.25) {
		s.Options.MaxInstanceTypeOptions = 1 + r.IntN(20)
	}
	if genChance(r, 0.1) {
		if genChance(r, 0.5) {
			s.Options.DefaultTopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule}}
		} else {
			s.Options.DefaultTopologySpreadConstraints = []corev1.TopologySpreadConstraint{
				{MaxSkew: 3, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway},
				{MaxSkew: 5, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway},
			}
		}
	}
	return s
}

// genChance returns true with probability p.
func genChance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// genPick returns a random element.
func genPick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// genSubset returns a random non-empty subset of xs, in order.
func genSubset[T any](r *rand.Rand, xs []T) []T {
	for {
		var out []T
		for _, x := range xs {
			if genChance(r, 0.5) {
				out = append(out, x)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
}

// genRound rounds a price to four decimals, as price lists do.
func genRound(p float64) float64 { return math.Round(p*10000) / 10000 }

// genCatalog returns 8 or more instance shapes with offerings in one to three zones.
func genCatalog(r *rand.Rand) []genShape {
	var all []genShape
	for _, f := range genFamilies {
		for _, sz := range genSizes {
			if (f.name == "t3" && sz.cpu > 8) || (f.gpu && sz.cpu < 4) {
				continue
			}
			all = append(all, genShape{name: f.name + "." + sz.name, family: f.name, arch: f.arch, cpu: sz.cpu,
				memMiB: sz.cpu * f.gibPerCPU * 1024 * 93 / 100})
			if f.gpu {
				all[len(all)-1].gpus = max(1, sz.cpu/8)
			}
		}
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	all = all[:8+r.IntN(len(all)-7)]
	for i := range all {
		sh := &all[i]
		sh.pods = 110
		if sh.cpu < 4 {
			sh.pods = 8 + 9*sh.cpu
		}
		if genChance(r, 0.1) {
			sh.pods = 4 + r.Int64N(6)
		}
		sh.kubeReservedCPUMillicores = 60 + 10*min(sh.cpu, 8)
		base := 0.0425*float64(sh.cpu) + 0.0053*float64(sh.memMiB)/1024 + 0.9*float64(sh.gpus)
		if sh.arch == "arm64" {
			base *= 0.85
		}
		base *= 0.95 + 0.1*r.Float64()
		hasSpot := genChance(r, 0.5)
		for zi, z := range genZones {
			lastChance := zi == len(genZones)-1 && len(sh.offerings) == 0
			if !lastChance && !genChance(r, 0.8) {
				continue
			}
			sh.offerings = append(sh.offerings, cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeOnDemand,
				Price: genRound(base * (1 + 0.01*float64(zi))), Available: genChance(r, 0.95)})
			if hasSpot && genChance(r, 0.8) {
				sh.offerings = append(sh.offerings, cloudprovider.Offering{Zone: z, CapacityType: v1.CapacityTypeSpot,
					Price: genRound(base * (0.3 + 0.4*r.Float64())), Available: genChance(r, 0.95)})
			}
		}
		for _, o := range sh.offerings {
			if !slices.Contains(sh.zones, o.Zone) {
				sh.zones = append(sh.zones, o.Zone)
			}
			if !slices.Contains(sh.capacityTypes, o.CapacityType) {
				sh.capacityTypes = append(sh.capacityTypes, o.CapacityType)
			}
		}
	}
	return all
}

// genIn is key In values.
func genIn(key string, values ...string) *scheduling.Requirement {
	return scheduling.NewRequirement(key, corev1.NodeSelectorOpIn, values...)
}

// genInstanceType turns a shape into an instance type with the given DaemonSet overhead.
func genInstanceType(sh genShape, daemonSets corev1.ResourceList) *cloudprovider.InstanceType {
	reqs := scheduling.NewRequirements(
		genIn(corev1.LabelInstanceTypeStable, sh.name),
		genIn(corev1.LabelArchStable, sh.arch),
		genIn(corev1.LabelOSStable, string(corev1.Linux)),
		genIn(corev1.LabelTopologyRegion, genRegion),
		genIn(corev1.LabelTopologyZone, sh.zones...),
		genIn(v1.CapacityTypeLabelKey, sh.capacityTypes...),
		scheduling.NewRequirement(corev1.LabelWindowsBuild, corev1.NodeSelectorOpDoesNotExist),
		genIn(genInstanceFamily, sh.family),
		genIn(genInstanceCPU, fmt.Sprint(sh.cpu)),
		genIn(genInstanceMemory, fmt.Sprint(sh.memMiB)),
	)
	if sh.gpus > 0 {
		reqs.Add(genIn(genInstanceGPUCount, fmt.Sprint(sh.gpus)))
	} else {
		reqs.Add(scheduling.NewRequirement(genInstanceGPUCount, corev1.NodeSelectorOpDoesNotExist))
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(sh.cpu, resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(sh.memMiB*1024*1024, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(sh.pods, resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("20Gi"),
	}
	if sh.gpus > 0 {
		capacity[genGPU] = *resource.NewQuantity(sh.gpus, resource.DecimalSI)
	}
	return &cloudprovider.InstanceType{
		Name:         sh.name,
		Requirements: reqs,
		Offerings:    slices.Clone(sh.offerings),
		Capacity:     capacity,
		Overhead: cloudprovider.Overhead{
			KubeReserved: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(sh.kubeReservedCPUMillicores, resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity((255+11*sh.pods)*1024*1024, resource.BinarySI),
			},
			EvictionThreshold: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100Mi")},
			DaemonSets:        daemonSets,
		},
	}
}

// genPool builds pool i with random requirements, labels, taints, limits and a subset of the catalog.
func genPool(r *rand.Rand, i int, catalog []genShape, allTainted bool) *solver.NodePool {
	name := fmt.Sprintf("pool-%d", i)
	np := &v1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: name}}
	spec := &np.Spec.Template.Spec
	spec.NodeClassRef = &v1.NodeClassReference{Group: "aws.stevedore.dev", Kind: "EC2NodeClass", Name: "default"}
	if genChance(r, 0.5) {
		np.Spec.Weight = ptr.To(int32(1 + r.IntN(100)))
	}
	if genChance(r, 0.4) {
		np.Spec.Template.ObjectMeta.Labels = map[string]v1.LabelValue{genTierKey: v1.LabelValue(genPick(r, []string{"general", "batch", "critical"}))}
	}
	req := func(key string, op corev1.NodeSelectorOperator, values ...string) {
		spec.Requirements = append(spec.Requirements, v1.NodeSelectorRequirementWithMinValues{Key: key, Operator: op, Values: values})
	}
	switch x := r.Float64(); {
	case x < 0.2:
		req(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64")
	case x < 0.3:
		req(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "arm64")
	case x < 0.4:
		req(corev1.LabelArchStable, corev1.NodeSelectorOpIn, "amd64", "arm64")
	}
	switch x := r.Float64(); {
	case x < 0.35:
		req(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand)
	case x < 0.6:
		req(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeOnDemand, v1.CapacityTypeSpot)
	case x < 0.7:
		req(v1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, v1.CapacityTypeSpot)
	}
	if genChance(r, 0.3) {
		req(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, genSubset(r, genZones[:2+r.IntN(2)])...)
	}
	if genChance(r, 0.25) {
		if genChance(r, 0.5) {
			req(genTeamKey, corev1.NodeSelectorOpIn, "a")
		} else {
			req(genTeamKey, corev1.NodeSelectorOpIn, "a", "b")
		}
	}
	if genChance(r, 0.15) {
		if genChance(r, 0.5) {
			req(genInstanceCPU, corev1.NodeSelectorOpGt, "1")
		} else {
			req(genInstanceCPU, corev1.NodeSelectorOpLt, "33")
		}
	}
	if genChance(r, 0.1) {
		req(genInstanceFamily, corev1.NodeSelectorOpNotIn, "t3")
	}
	if genChance(r, 0.1) {
		req(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpExists)
		spec.Requirements[len(spec.Requirements)-1].MinValues = ptr.To(2 + r.IntN(3))
	}
	if genChance(r, 0.25) {
		spec.Taints = append(spec.Taints, v1.Taint{Key: genDedicatedKey, Value: name, Effect: corev1.TaintEffectNoSchedule})
		if genChance(r, 0.2) {
			spec.Taints = append(spec.Taints, v1.Taint{Key: genDedicatedKey, Value: name, Effect: corev1.TaintEffectNoExecute})
		}
	}
	if genChance(r, 0.1) {
		spec.Taints = append(spec.Taints, v1.Taint{Key: "example.com/soft", Effect: corev1.TaintEffectPreferNoSchedule})
	}
	if allTainted {
		spec.Taints = append(spec.Taints, v1.Taint{Key: genReservedKey, Value: "true", Effect: corev1.TaintEffectNoSchedule})
	}
	if genChance(r, 0.2) {
		spec.StartupTaints = []v1.Taint{{Key: genStartupKey, Effect: corev1.TaintEffectNoSchedule}}
	}
	if genChance(r, 0.2) {
		np.Spec.Limits = corev1.ResourceList{corev1.ResourceCPU: *resource.NewQuantity(int64(8+r.IntN(293)), resource.DecimalSI)}
	}
	if genChance(r, 0.15) {
		if np.Spec.Limits == nil {
			np.Spec.Limits = corev1.ResourceList{}
		}
		np.Spec.Limits["nodes"] = *resource.NewQuantity(int64(1+r.IntN(10)), resource.DecimalSI)
	}
	if genChance(r, 0.1) {
		if np.Spec.Limits == nil {
			np.Spec.Limits = corev1.ResourceList{}
		}
		np.Spec.Limits[corev1.ResourceMemory] = *resource.NewQuantity(int64(32+r.IntN(993))<<30, resource.BinarySI)
	}
	daemonSets := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(genPick(r, []string{"0", "100m", "250m"})),
		corev1.ResourceMemory: resource.MustParse(genPick(r, []string{"0", "128Mi", "512Mi"})),
		corev1.ResourcePods:   resource.MustParse(genPick(r, []string{"0", "1", "3"})),
	}
	order := r.Perm(len(catalog))
	n := min(len(catalog), 5+r.IntN(36))
	types := make([]*cloudprovider.InstanceType, n)
	for j := range n {
		types[j] = genInstanceType(catalog[order[j]], daemonSets)
	}
	return &solver.NodePool{NodePool: np, InstanceTypes: types, Usage: corev1.ResourceList{}}
}

// genWorkloads returns one to eight workloads with pending replicas adding up to 1–300 pods.
func genWorkloads(r *rand.Rand, pools []*solver.NodePool, catalog []genShape) []*genWorkload {
	workloads := make([]*genWorkload, 1+r.IntN(8))
	for i := range workloads {
		w := &genWorkload{app: fmt.Sprintf("w%d", i), ns: "default", hash: fmt.Sprintf("%08x", r.Uint32())}
		if genChance(r, 0.2) {
			w.ns = "team-a"
		}
		workloads[i] = w
	}
	for _, w := range workloads {
		w.template = genTemplate(r, w, len(workloads), pools, catalog)
	}
	total := 1 + r.IntN(40)
	if genChance(r, 0.5) {
		total = 1 + r.IntN(300)
	}
	weights := make([]float64, len(workloads))
	sum := 0.0
	for i := range weights {
		weights[i] = 0.1 + r.Float64()
		sum += weights[i]
	}
	left := total
	for i, w := range workloads {
		n := int(float64(total) * weights[i] / sum)
		if i == len(workloads)-1 {
			n = left
		}
		n = min(n, left)
		w.replicas = n
		left -= n
	}
	return workloads
}

// genRequests returns random container requests (and limits for extended resources).
func genRequests(r *rand.Rand) corev1.ResourceRequirements {
	if genChance(r, 0.05) {
		return corev1.ResourceRequirements{}
	}
	req := corev1.ResourceList{}
	if cpu := genPick(r, []string{"0", "50m", "100m", "100m", "250m", "250m", "500m", "500m", "1", "1500m", "2", "3", "7"}); cpu != "0" {
		req[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem := genPick(r, []string{"0", "64Mi", "256Mi", "256Mi", "512Mi", "1Gi", "1Gi", "2Gi", "4Gi", "12Gi"}); mem != "0" {
		req[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return corev1.ResourceRequirements{Requests: req}
}

// genTemplate builds the pod template of a workload among n with a random mix of constraints.
func genTemplate(r *rand.Rand, w *genWorkload, n int, pools []*solver.NodePool, catalog []genShape) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Labels: map[string]string{"app": w.app, genHashKey: w.hash}}}
	role := ""
	if x := r.Float64(); x < 0.4 {
		role = "web"
	} else if x < 0.6 {
		role = "db"
	}
	if role != "" {
		pod.Labels["role"] = role
	}
	spec := &pod.Spec
	for c := range 1 + r.IntN(2) {
		spec.Containers = append(spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", c), Image: "app", Resources: genRequests(r)})
	}
	if genChance(r, 0.1) {
		first := genRequests(r)
		if q, ok := first.Requests[corev1.ResourceCPU]; ok {
			q.Add(q)
			first.Requests[corev1.ResourceCPU] = q
		}
		spec.InitContainers = append(spec.InitContainers, corev1.Container{Name: "init", Image: "init", Resources: first})
	}
	if genChance(r, 0.05) {
		spec.InitContainers = append(spec.InitContainers, corev1.Container{Name: "sidecar", Image: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}})
	}
	if genChance(r, 0.03) {
		spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
	}
	if genChance(r, 0.04) {
		one := resource.MustParse("1")
		res := &spec.Containers[0].Resources
		if res.Requests == nil {
			res.Requests = corev1.ResourceList{}
		}
		res.Requests[genGPU] = one
		res.Limits = corev1.ResourceList{genGPU: one}
	}
	genNodeConstraints(r, pod, pools, catalog)
	genTolerations(r, pod, pools)
	genSpread(r, pod, w, role)
	genPodAffinity(r, pod, w, n)
	if genChance(r, 0.05) {
		port := int32(8080)
		if genChance(r, 0.5) {
			port = 9100
		}
		spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: port, HostPort: port, Protocol: corev1.ProtocolTCP}}
	}
	if genChance(r, 0.1) {
		w.volumes = genPick(r, []string{"bound", "bound", "shared", "wffc", "zonal"})
		w.sharedZone = genPick(r, genZones)
		if genChance(r, 0.05) {
			w.sharedZone = genMissingZone
		}
	}
	if genChance(r, 0.04) {
		switch r.IntN(3) {
		case 0:
			spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000")}
		case 1:
			if spec.NodeSelector == nil {
				spec.NodeSelector = map[string]string{}
			}
			spec.NodeSelector[genMissingLabelKey] = "true"
		default:
			genAffinity(pod).PodAffinity = &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ghost"}}, TopologyKey: corev1.LabelTopologyZone}}}
		}
	}
	return pod
}

// genAffinity returns the pod's affinity, creating it.
func genAffinity(pod *corev1.Pod) *corev1.Affinity {
	if pod.Spec.Affinity == nil {
		pod.Spec.Affinity = &corev1.Affinity{}
	}
	return pod.Spec.Affinity
}

// genNodeConstraints adds a nodeSelector and required and preferred node affinity.
func genNodeConstraints(r *rand.Rand, pod *corev1.Pod, pools []*solver.NodePool, catalog []genShape) {
	sel := map[string]string{}
	switch x := r.Float64(); {
	case x < 0.12:
		sel[corev1.LabelArchStable] = genPick(r, []string{"amd64", "arm64"})
	case x < 0.2:
		sel[genTierKey] = genPick(r, []string{"general", "batch", "critical"})
	case x < 0.28:
		sel[genTeamKey] = genPick(r, []string{"a", "b"})
	case x < 0.32:
		sel[v1.CapacityTypeLabelKey] = v1.CapacityTypeSpot
	case x < 0.36:
		sel[v1.NodePoolLabelKey] = genPick(r, pools).NodePool.Name
	case x < 0.4:
		sel[corev1.LabelTopologyZone] = genPick(r, genZones)
	}
	if len(sel) > 0 {
		pod.Spec.NodeSelector = sel
	}
	expr := func() corev1.NodeSelectorRequirement {
		switch r.IntN(8) {
		case 0:
			return corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: genSubset(r, genZones)}
		case 1:
			return corev1.NodeSelectorRequirement{Key: genInstanceCPU, Operator: corev1.NodeSelectorOpGt, Values: []string{"3"}}
		case 2:
			return corev1.NodeSelectorRequirement{Key: genInstanceCPU, Operator: corev1.NodeSelectorOpLt, Values: []string{"17"}}
		case 3:
			return corev1.NodeSelectorRequirement{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64"}}
		case 4:
			return corev1.NodeSelectorRequirement{Key: v1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{v1.CapacityTypeOnDemand}}
		case 5:
			op := corev1.NodeSelectorOpExists
			if genChance(r, 0.5) {
				op = corev1.NodeSelectorOpDoesNotExist
			}
			return corev1.NodeSelectorRequirement{Key: genTeamKey, Operator: op}
		case 6:
			return corev1.NodeSelectorRequirement{Key: genInstanceFamily, Operator: corev1.NodeSelectorOpNotIn, Values: []string{"t3", "r5"}}
		default:
			return corev1.NodeSelectorRequirement{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpNotIn, Values: []string{genPick(r, catalog).name}}
		}
	}
	if genChance(r, 0.2) {
		ns := &corev1.NodeSelector{}
		for range 1 + r.IntN(2) {
			term := corev1.NodeSelectorTerm{}
			for range 1 + r.IntN(2) {
				term.MatchExpressions = append(term.MatchExpressions, expr())
			}
			ns.NodeSelectorTerms = append(ns.NodeSelectorTerms, term)
		}
		genAffinity(pod).NodeAffinity = &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: ns}
	}
	if genChance(r, 0.2) {
		a := genAffinity(pod)
		if a.NodeAffinity == nil {
			a.NodeAffinity = &corev1.NodeAffinity{}
		}
		for range 1 + r.IntN(2) {
			a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
				corev1.PreferredSchedulingTerm{Weight: int32(1 + r.IntN(100)), Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr()}}})
		}
	}
}

// genTolerations adds tolerations for some of the taints in play.
func genTolerations(r *rand.Rand, pod *corev1.Pod, pools []*solver.NodePool) {
	t := &pod.Spec.Tolerations
	if genChance(r, 0.3) {
		*t = append(*t, corev1.Toleration{Key: genDedicatedKey, Operator: corev1.TolerationOpExists})
	} else if genChance(r, 0.07) {
		*t = append(*t, corev1.Toleration{Key: genDedicatedKey, Operator: corev1.TolerationOpEqual, Value: genPick(r, pools).NodePool.Name, Effect: corev1.TaintEffectNoSchedule})
	}
	if genChance(r, 0.05) {
		*t = append(*t, corev1.Toleration{Operator: corev1.TolerationOpExists})
	}
	if genChance(r, 0.1) {
		*t = append(*t, corev1.Toleration{Key: genMaintenanceKey, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}
	if genChance(r, 0.15) {
		*t = append(*t, corev1.Toleration{Key: genReservedKey, Operator: corev1.TolerationOpEqual, Value: "true"})
	}
}

// genSpread adds topology spread constraints.
func genSpread(r *rand.Rand, pod *corev1.Pod, w *genWorkload, role string) {
	if !genChance(r, 0.35) {
		return
	}
	for range 1 + r.IntN(2) {
		c := corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": w.app}}}
		if genChance(r, 0.6) {
			c.TopologyKey = corev1.LabelTopologyZone
		}
		if genChance(r, 0.3) {
			c.MaxSkew = 2
		}
		if genChance(r, 0.7) {
			c.WhenUnsatisfiable = corev1.DoNotSchedule
			if genChance(r, 0.15) {
				if c.TopologyKey == corev1.LabelTopologyZone {
					c.MinDomains = ptr.To(int32(2 + r.IntN(2)))
				} else {
					c.MinDomains = ptr.To(int32(2 + r.IntN(4)))
				}
			}
		}
		if genChance(r, 0.25) {
			c.MatchLabelKeys = []string{genHashKey}
		}
		if role != "" && genChance(r, 0.15) {
			c.LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"role": role}}
		}
		if genChance(r, 0.05) {
			c.NodeAffinityPolicy = ptr.To(corev1.NodeInclusionPolicyIgnore)
		}
		if genChance(r, 0.1) {
			c.NodeTaintsPolicy = ptr.To(corev1.NodeInclusionPolicyHonor)
		}
		if slices.ContainsFunc(pod.Spec.TopologySpreadConstraints, func(o corev1.TopologySpreadConstraint) bool {
			return o.TopologyKey == c.TopologyKey && o.WhenUnsatisfiable == c.WhenUnsatisfiable
		}) {
			continue
		}
		pod.Spec.TopologySpreadConstraints = append(pod.Spec.TopologySpreadConstraints, c)
	}
}

// genPodAffinity adds required and preferred pod affinity and anti-affinity.
func genPodAffinity(r *rand.Rand, pod *corev1.Pod, w *genWorkload, n int) {
	term := func(self bool) corev1.PodAffinityTerm {
		app := w.app
		if !self {
			app = fmt.Sprintf("w%d", r.IntN(n+1)) // w<n> does not exist
		}
		t := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}, TopologyKey: corev1.LabelHostname}
		if genChance(r, 0.6) {
			t.TopologyKey = corev1.LabelTopologyZone
		}
		switch x := r.Float64(); {
		case x < 0.1:
			t.Namespaces = []string{"default", "team-a"}
		case x < 0.13:
			t.NamespaceSelector = &metav1.LabelSelector{}
		}
		return t
	}
	if genChance(r, 0.12) {
		genAffinity(pod).PodAffinity = &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(genChance(r, 0.5))}}
	}
	if genChance(r, 0.2) {
		t := term(true)
		switch x := r.Float64(); {
		case x < 0.6:
			t.TopologyKey = corev1.LabelHostname
		case x < 0.8:
			t.TopologyKey = corev1.LabelTopologyZone
		default:
			t = term(false)
		}
		genAffinity(pod).PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{t}}
	}
	if genChance(r, 0.15) {
		a := genAffinity(pod)
		weighted := corev1.WeightedPodAffinityTerm{Weight: int32(1 + r.IntN(100)), PodAffinityTerm: term(genChance(r, 0.5))}
		if genChance(r, 0.5) {
			if a.PodAntiAffinity == nil {
				a.PodAntiAffinity = &corev1.PodAntiAffinity{}
			}
			a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, weighted)
		} else {
			if a.PodAffinity == nil {
				a.PodAffinity = &corev1.PodAffinity{}
			}
			a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution, weighted)
		}
	}
}

// genNodes returns 0–10 existing nodes and in-flight claims with DaemonSet pods and running replicas.
func genNodes(r *rand.Rand, pools []*solver.NodePool, catalog []genShape, workloads []*genWorkload, allTainted bool) []*solver.Node {
	count := r.IntN(11)
	if genChance(r, 0.3) {
		count = 0
	}
	nodes := make([]*solver.Node, 0, count)
	for i := range count {
		name := fmt.Sprintf("node-%d", i)
		var pool *solver.NodePool
		var it *cloudprovider.InstanceType
		if genChance(r, 0.8) {
			pool = genPick(r, pools)
			it = genPick(r, pool.InstanceTypes)
		} else {
			it = genInstanceType(genPick(r, catalog), corev1.ResourceList{})
		}
		o := genPick(r, it.Offerings)
		lbls, _ := typeLabels(it)
		lbls[corev1.LabelHostname] = name
		lbls[corev1.LabelTopologyZone] = o.Zone
		lbls[v1.CapacityTypeLabelKey] = o.CapacityType
		n := &solver.Node{Name: name, Labels: lbls, Allocatable: it.Allocatable(), InFlight: genChance(r, 0.2)}
		if pool != nil {
			n.NodePool = pool.NodePool.Name
			lbls[v1.NodePoolLabelKey] = pool.NodePool.Name
			for k, v := range pool.NodePool.Spec.Template.ObjectMeta.Labels {
				lbls[k] = string(v)
			}
			for _, req := range pool.NodePool.Spec.Template.Spec.Requirements {
				if req.Key == genTeamKey {
					lbls[genTeamKey] = genPick(r, req.Values)
				}
			}
			n.Taints = v1.CoreTaints(pool.NodePool.Spec.Template.Spec.Taints)
		} else if genChance(r, 0.25) {
			delete(lbls, corev1.LabelTopologyZone)
		}
		if genChance(r, 0.15) {
			n.Taints = append(n.Taints, corev1.Taint{Key: genMaintenanceKey, Effect: corev1.TaintEffectNoSchedule})
		}
		if allTainted && pool == nil {
			n.Taints = append(n.Taints, corev1.Taint{Key: genReservedKey, Value: "true", Effect: corev1.TaintEffectNoSchedule})
		}
		used := corev1.ResourceList{}
		ds := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "node-agent-" + name, UID: types.UID("uid-kube-system-node-agent-" + name), Labels: map[string]string{"app": "node-agent"}},
			Spec: corev1.PodSpec{NodeName: name, Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, Containers: []corev1.Container{{Name: "agent", Image: "agent",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}},
		}
		n.Pods = append(n.Pods, ds)
		addTo(used, ds.Spec.Containers[0].Resources.Requests)
		if genChance(r, 0.5) {
			for k := range 1 + r.IntN(4) {
				w := genPick(r, workloads)
				if w.volumes != "" {
					continue
				}
				pod := w.template.DeepCopy()
				pod.Name = fmt.Sprintf("%s-%s-run-%d-%d", w.app, w.hash, i, k)
				pod.UID = types.UID(fmt.Sprintf("uid-%s-%s", pod.Namespace, pod.Name))
				pod.Spec.NodeName = name
				req := corev1.ResourceList{}
				for _, c := range pod.Spec.Containers {
					addTo(req, c.Resources.Requests)
				}
				trial := used.DeepCopy()
				addTo(trial, req)
				if fits(corev1.ResourceList{}, trial, len(n.Pods), n.Allocatable) != "" || !genWithin(trial, n.Allocatable) {
					continue
				}
				if len(pod.Spec.InitContainers) > 0 || pod.Spec.Overhead != nil {
					continue
				}
				used = trial
				n.Pods = append(n.Pods, pod)
			}
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// genWithin reports whether used stays within alloc for every resource.
func genWithin(used, alloc corev1.ResourceList) bool {
	for name, q := range used {
		if limit := alloc[name]; q.Cmp(limit) > 0 {
			return false
		}
	}
	return true
}

// genUsage sets each pool's usage from its existing nodes, sometimes with nodes the snapshot does not show.
func genUsage(r *rand.Rand, s *solver.Snapshot) {
	for _, np := range s.NodePools {
		for _, n := range s.Nodes {
			if n.NodePool != np.NodePool.Name {
				continue
			}
			if it := findType(np, n.Labels[corev1.LabelInstanceTypeStable]); it != nil {
				addTo(np.Usage, it.Capacity)
			}
			addTo(np.Usage, corev1.ResourceList{"nodes": resource.MustParse("1")})
		}
		if genChance(r, 0.1) {
			addTo(np.Usage, corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi"), "nodes": resource.MustParse("2")})
		}
	}
}

// genStorageClasses returns the storage classes volumes may use.
func genStorageClasses() []*storagev1.StorageClass {
	wffc, immediate := storagev1.VolumeBindingWaitForFirstConsumer, storagev1.VolumeBindingImmediate
	return []*storagev1.StorageClass{
		{ObjectMeta: metav1.ObjectMeta{Name: genClassWFFC}, Provisioner: "ebs.csi.aws.com", VolumeBindingMode: &wffc},
		{ObjectMeta: metav1.ObjectMeta{Name: genClassZonal}, Provisioner: "ebs.csi.aws.com", VolumeBindingMode: &wffc,
			AllowedTopologies: []corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: corev1.LabelTopologyZone, Values: genZones[:2]}}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: genClassImmediate}, Provisioner: "ebs.csi.aws.com", VolumeBindingMode: &immediate},
	}
}

// genPending appends the workload's pending replicas, with their volumes, to the snapshot.
func genPending(r *rand.Rand, s *solver.Snapshot, w *genWorkload) {
	if w.volumes == "shared" && w.replicas > 0 {
		claim := "shared-" + w.app
		s.PersistentVolumeClaims = append(s.PersistentVolumeClaims, genClaim(w.ns, claim, genClassWFFC, "pv-"+w.ns+"-"+claim))
		s.PersistentVolumes = append(s.PersistentVolumes, genVolume("pv-"+w.ns+"-"+claim, w.ns, claim, w.sharedZone))
	}
	for k := range w.replicas {
		pod := w.template.DeepCopy()
		pod.Name = fmt.Sprintf("%s-%s-%d", w.app, w.hash, k)
		pod.UID = types.UID(fmt.Sprintf("uid-%s-%s", pod.Namespace, pod.Name))
		claim := "data-" + pod.Name
		switch w.volumes {
		case "shared":
			claim = "shared-" + w.app
		case "bound":
			pv := "pv-" + w.ns + "-" + claim
			zone := genPick(r, genZones)
			if genChance(r, 0.03) {
				zone = genMissingZone
			}
			s.PersistentVolumeClaims = append(s.PersistentVolumeClaims, genClaim(w.ns, claim, genClassWFFC, pv))
			s.PersistentVolumes = append(s.PersistentVolumes, genVolume(pv, w.ns, claim, zone))
		case "wffc":
			s.PersistentVolumeClaims = append(s.PersistentVolumeClaims, genClaim(w.ns, claim, genClassWFFC, ""))
		case "zonal":
			s.PersistentVolumeClaims = append(s.PersistentVolumeClaims, genClaim(w.ns, claim, genClassZonal, ""))
		}
		if w.volumes != "" {
			pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
		}
		s.Pods = append(s.Pods, pod)
	}
}

// genClaim returns a claim of the storage class, bound to volume unless it is empty.
func genClaim(ns, name, class, volume string) *corev1.PersistentVolumeClaim {
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-pvc-" + ns + "-" + name)},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To(class), VolumeName: volume,
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	if volume != "" {
		pvc.Status.Phase = corev1.ClaimBound
	}
	return pvc
}

// genVolume returns a volume bound to the claim, usable only in zone.
func genVolume(name, ns, claim, zone string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-pv-" + name)},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:         corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			ClaimRef:         &corev1.ObjectReference{Namespace: ns, Name: claim},
			StorageClassName: genClassWFFC,
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zone}}}}}}},
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
	}
}
