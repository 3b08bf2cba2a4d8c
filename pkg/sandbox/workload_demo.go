package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// DemoNamespace holds the demo's workloads.
const DemoNamespace = "demo"

// demoScript is the demo's sizes and patience: the user's demo is fullDemo, tests run a smaller one.
type demoScript struct {
	// web, api and batch are the replicas each Deployment starts with.
	web, api, batch int32
	// peak is web's replicas in the morning, evening its replicas at night, when batch goes to zero.
	peak, evening int32
	// poll is how often a step checks its condition, timeout how long it waits for it.
	poll, timeout time.Duration
}

// fullDemo is the day the user watches: 34 pods of three shapes, then twice as many web pods, then few.
func fullDemo() demoScript {
	return demoScript{web: 24, api: 6, batch: 4, peak: 48, evening: 8, poll: time.Second, timeout: 5 * time.Minute}
}

// demoSteps is how many numbered lines the demo prints.
const demoSteps = 7

// Demo is a scripted day in the life of a cluster in namespace demo, each step one console line: a web tier
// spread across zones, an API tier spread across nodes and spot-only batch workers arrive; once they all run,
// the nodes, their types and their cost are shown; web doubles for the morning peak; in the evening web shrinks
// and batch stops, leaving consolidation to remove and shrink nodes. Each step waits for its pods rather than
// for a fixed time, and gives up after a few minutes.
func Demo() Workload { return fullDemo().workload() }

func (d demoScript) workload() Workload {
	return Workload{name: "demo", run: d.run}
}

func (d demoScript) run(ctx context.Context, env workloadEnv) error {
	step := func(n int, format string, args ...any) {
		env.say("demo %d/%d: %s", n, demoSteps, fmt.Sprintf(format, args...))
	}
	env.say("demo: a day in the life of namespace %s; each step waits for its pods (at most %s)", DemoNamespace, d.timeout)
	ns := &corev1.Namespace{ObjectMeta: objectMeta("", DemoNamespace)}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := d.apply(ctx, env, ns); err != nil {
		return err
	}
	replicas := map[string]int32{"web": d.web, "api": d.api, "batch": d.batch}
	tiers := []struct {
		name, what string
		objs       []client.Object
	}{
		{"web", "500m CPU/1Gi each, spread across zones (maxSkew 1), PDB minAvailable 80%", webTier(d.web)},
		{"api", "2 CPU/4Gi each, spread across nodes (maxSkew 1, ScheduleAnyway), PDB maxUnavailable 1", apiTier(d.api)},
		{"batch", "4 CPU/16Gi each, spot only (" + v1.CapacityTypeLabelKey + "=" + v1.CapacityTypeSpot + ")", batchTier(d.batch)},
	}
	for i, t := range tiers {
		if err := d.apply(ctx, env, t.objs...); err != nil {
			return err
		}
		if err := d.wait(ctx, env, map[string]int32{t.name: replicas[t.name]}, false); err != nil {
			return err
		}
		noun := "replicas"
		if replicas[t.name] == 1 {
			noun = "replica"
		}
		step(i+1, "%s: %d %s, %s", t.name, replicas[t.name], noun, t.what)
	}

	if err := d.wait(ctx, env, replicas, true); err != nil {
		return err
	}
	line, err := d.runningLine(ctx, env)
	if err != nil {
		return err
	}
	step(4, "everything runs: %s", line)

	replicas["web"] = d.peak
	if err := d.scaleAndWait(ctx, env, replicas); err != nil {
		return err
	}
	if line, err = d.runningLine(ctx, env); err != nil {
		return err
	}
	step(5, "morning peak, web scaled to %d: %s", d.peak, line)

	replicas["web"], replicas["batch"] = d.evening, 0
	if err := d.scaleAndWait(ctx, env, replicas); err != nil {
		return err
	}
	if line, err = d.runningLine(ctx, env); err != nil {
		return err
	}
	step(6, "evening, web scaled to %d and batch to 0: %s; %s", d.evening, line, consolidation(ctx, env))

	step(7, "script done; the sandbox keeps running until Ctrl-C. Look with: kubectl --kubeconfig %s get nodeclaims,nodes,pods -n %s -o wide",
		env.kubeconfig, DemoNamespace)
	return nil
}

// apply server-side applies typed objects through the same path as a manifest file's.
func (d demoScript) apply(ctx context.Context, env workloadEnv, objs ...client.Object) error {
	for _, o := range objs {
		m, err := toUnstructured(o)
		if err != nil {
			return err
		}
		if err := apply(ctx, env, m); err != nil {
			return err
		}
	}
	return nil
}

// scaleAndWait sets each Deployment's replicas and waits until exactly that many of its pods run.
func (d demoScript) scaleAndWait(ctx context.Context, env workloadEnv, replicas map[string]int32) error {
	for name, n := range replicas {
		scaled := &appsv1.Deployment{ObjectMeta: objectMeta(DemoNamespace, name)}
		// Applying only the replicas as the manager that applied the whole Deployment would drop the rest of it,
		// so the count is patched instead.
		patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, n))
		if err := env.client.Patch(ctx, scaled, patch, client.FieldOwner(fieldManager)); err != nil {
			return fmt.Errorf("scaling deployment %s to %d: %w", name, n, err)
		}
	}
	return d.wait(ctx, env, replicas, true)
}

// wait waits until each named Deployment has exactly its count of pods (none on the way out) and, when running
// is set, all of them Running on a node.
func (d demoScript) wait(ctx context.Context, env workloadEnv, replicas map[string]int32, running bool) error {
	names := make([]string, 0, len(replicas))
	for name := range replicas {
		names = append(names, name)
	}
	slices.Sort(names)
	what := "the pods of " + strings.Join(names, ", ") + " to be created"
	if running {
		what = "the pods of " + strings.Join(names, ", ") + " to run"
	}
	return waitFor(ctx, env, d.poll, d.timeout, what, func(ctx context.Context) (bool, string, error) {
		pods := &corev1.PodList{}
		if err := env.client.List(ctx, pods, client.InNamespace(DemoNamespace)); err != nil {
			return false, err.Error(), nil
		}
		var seen []string
		done := true
		for _, name := range names {
			total, up := 0, 0
			for _, p := range pods.Items {
				if p.Labels["app"] != name {
					continue
				}
				total++
				if p.DeletionTimestamp == nil && p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning {
					up++
				}
			}
			want := int(replicas[name])
			done = done && total == want && (!running || up == want)
			seen = append(seen, fmt.Sprintf("%s %d pods, %d running, want %d", name, total, up, want))
		}
		return done, strings.Join(seen, "; "), nil
	})
}

// runningLine is "N pods running on M nodes (types), $X/hour", priced as the status lines are.
func (d demoScript) runningLine(ctx context.Context, env workloadEnv) (string, error) {
	s, err := summarize(ctx, env.client, env.price)
	if err != nil {
		return "", err
	}
	pods := &corev1.PodList{}
	if err := env.client.List(ctx, pods, client.InNamespace(DemoNamespace)); err != nil {
		return "", fmt.Errorf("listing pods: %w", err)
	}
	running := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			running++
		}
	}
	kinds := make([]NodeKind, 0, len(s.Nodes))
	nodes := 0
	for k, n := range s.Nodes {
		kinds = append(kinds, k)
		nodes += n
	}
	// Sorted by type, then capacity type, as the status line sorts them.
	slices.SortFunc(kinds, func(a, b NodeKind) int {
		return strings.Compare(a.InstanceType+" "+a.CapacityType, b.InstanceType+" "+b.CapacityType)
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s/%s", s.Nodes[k], k.InstanceType, k.CapacityType)
	}
	return fmt.Sprintf("%d pods running on %d nodes (%s), $%.4f/hour", running, nodes, strings.Join(parts, ", "), s.DollarsPerHour), nil
}

// consolidation says when consolidation acts on the default NodePool, from its consolidateAfter as the user may
// have changed it; a pool that cannot be read still gets a true sentence, without the number.
func consolidation(ctx context.Context, env workloadEnv) string {
	np := &v1.NodePool{}
	if err := env.client.Get(ctx, client.ObjectKey{Name: DefaultName}, np); err != nil || np.Spec.Disruption.ConsolidateAfter.IsZero() {
		return "consolidation will now remove or shrink nodes once they have been empty or underutilized for the NodePool's consolidateAfter"
	}
	after := np.Spec.Disruption.ConsolidateAfter
	if after.IsNever() {
		return "consolidation is off, since NodePool " + DefaultName + " has consolidateAfter: Never"
	}
	return fmt.Sprintf("consolidation will now remove or shrink nodes once they have been empty or underutilized for %s "+
		"(NodePool %s's consolidateAfter)", after.String(), DefaultName)
}
