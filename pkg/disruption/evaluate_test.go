package disruption_test

import (
	"math"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

// expectVerdict fails unless the claim of node has a verdict with the reason and message fragments.
func expectVerdict(t *testing.T, r *disruption.Result, node, reason string, fragments ...string) disruption.Verdict {
	t.Helper()
	v, ok := r.Verdicts[node+"-claim"]
	if !ok {
		t.Fatalf("no verdict for %s; verdicts: %+v", node, r.Verdicts)
	}
	if v.Reason != reason {
		t.Fatalf("verdict for %s = %s (%s), want %s", node, v.Reason, v.Message, reason)
	}
	for _, f := range fragments {
		if !strings.Contains(v.Message, f) {
			t.Errorf("verdict message for %s %q lacks %q", node, v.Message, f)
		}
	}
	return v
}

func only(t *testing.T, r *disruption.Result) *disruption.Command {
	t.Helper()
	if len(r.Commands) != 1 {
		t.Fatalf("got %d commands, want 1: %v", len(r.Commands), r.Commands)
	}
	return r.Commands[0]
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestEmptyNodesAreDeletedOnceConsolidateAfterPasses(t *testing.T) {
	w := newWorld(false)
	w.node("busy", "large", pods("web", 4, "1500m", "2Gi")...)
	w.node("empty", "large")
	recent := w.node("just-emptied", "medium")
	recent.LastPodEvent = now.Add(-10 * time.Second)
	r := w.evaluate()

	cmd := only(t, r)
	if cmd.Method != disruption.MethodEmptiness || len(cmd.Candidates) != 1 || cmd.Candidates[0].Name != "empty" || len(cmd.Replacements) != 0 {
		t.Fatalf("command = %s, want emptiness deleting node empty", cmd)
	}
	expectVerdict(t, r, "empty", disruption.ReasonDelete, "saving $0.4000/h")
	expectVerdict(t, r, "just-emptied", disruption.ReasonConsolidateAfterNotElapsed, "at 2026-11-26T11:59:50Z", "waits 30s", "until 2026-11-26T12:00:20Z")
}

func TestUnderutilizedNodeIsDeletedWhenItsPodsFitElsewhere(t *testing.T) {
	w := newWorld(false)
	keeper := w.node("keeper", "large", pods("db", 1, "2", "4Gi")...)
	keeper.Node.Annotations = map[string]string{v1.DoNotDisruptAnnotationKey: "true"}
	w.node("light", "large", pods("web", 2, "1", "1Gi")...)
	r := w.evaluate()

	cmd := only(t, r)
	if cmd.Method != disruption.MethodSingleNode || cmd.Action() != "delete" || cmd.Candidates[0].Name != "light" {
		t.Fatalf("command = %s, want a single-node delete of light", cmd)
	}
	if len(cmd.Placements) != 1 || cmd.Placements[0].Node != "keeper" || len(cmd.Placements[0].Pods) != 2 {
		t.Errorf("placements = %+v, want both web pods on keeper", cmd.Placements)
	}
	expectVerdict(t, r, "light", disruption.ReasonDelete, "saving $0.4000/h", "2 pods move")
	// The node left alone says why, and what that costs.
	v := expectVerdict(t, r, "keeper", disruption.ReasonDoNotDisrupt, "node keeper is annotated stevedore.dev/do-not-disrupt=true", "would save")
	if v.SavingsBlocked <= 0 {
		t.Errorf("SavingsBlocked = %v, want what replacing keeper would save", v.SavingsBlocked)
	}
}

func TestOversizedNodeIsReplacedWithACheaperOne(t *testing.T) {
	w := newWorld(false)
	w.node("big", "xlarge", pods("web", 3, "1", "2500Mi")...)
	r := w.evaluate()

	cmd := only(t, r)
	if cmd.Action() != "replace" || len(cmd.Replacements) != 1 || cmd.Replacements[0].InstanceType != "medium" {
		t.Fatalf("command = %s, want big replaced by a medium", cmd)
	}
	if !approx(cmd.Savings(), 0.60) {
		t.Errorf("savings = %v, want 0.60", cmd.Savings())
	}
	for _, o := range cmd.Replacements[0].InstanceTypeOptions {
		if o.PricePerHour >= 0.80 {
			t.Errorf("replacement option %s at $%v would not be cheaper than the node", o.Name, o.PricePerHour)
		}
	}
	expectVerdict(t, r, "big", disruption.ReasonReplace, "with medium/on-demand", "saving $0.6000/h")
}

func TestDeleteOnlyNeverLaunches(t *testing.T) {
	w := newWorld(false)
	w.pool.Spec.Disruption.Consolidation.Mode = v1.ConsolidationModeDeleteOnly
	w.node("big", "xlarge", pods("web", 3, "1", "2500Mi")...)
	r := w.evaluate()
	if len(r.Commands) != 0 {
		t.Fatalf("commands = %v, want none in DeleteOnly mode", r.Commands)
	}
	expectVerdict(t, r, "big", disruption.ReasonNoCheaperReplacement, "DeleteOnly")
}

func TestBusyNodeHasNoCheaperReplacement(t *testing.T) {
	w := newWorld(false)
	w.node("full", "medium", pods("web", 3, "1", "2500Mi")...)
	r := w.evaluate()
	if len(r.Commands) != 0 {
		t.Fatalf("commands = %v, want none", r.Commands)
	}
	expectVerdict(t, r, "full", disruption.ReasonNoCheaperReplacement)
}

func TestPDBThatAllowsNoDisruptionHoldsTheNode(t *testing.T) {
	w := newWorld(false)
	w.node("big", "xlarge", pods("web", 3, "1", "2500Mi")...)
	w.pdb("web", 0)
	r := w.evaluate()
	if len(r.Commands) != 0 {
		t.Fatalf("commands = %v, want none while the PDB allows no disruption", r.Commands)
	}
	expectVerdict(t, r, "big", disruption.ReasonPDBBlocked, "PodDisruptionBudget default/web allows no disruption", "would save $0.6000/h")
}

func TestBudgetOfZeroStopsConsolidation(t *testing.T) {
	w := newWorld(false)
	w.pool.Spec.Disruption.Budgets = []v1.Budget{{Nodes: "0"}}
	w.node("big", "xlarge", pods("web", 3, "1", "2500Mi")...)
	w.node("empty", "large")
	r := w.evaluate()
	if len(r.Commands) != 0 {
		t.Fatalf("commands = %v, want none with a budget of 0", r.Commands)
	}
	expectVerdict(t, r, "big", disruption.ReasonBudgetExhausted, "spec.disruption.budgets[0]")
	expectVerdict(t, r, "empty", disruption.ReasonBudgetExhausted, "spec.disruption.budgets[0]")
}

func TestSavingsThreshold(t *testing.T) {
	w := newWorld(false)
	percent := int32(80)
	w.pool.Spec.Disruption.Consolidation.MinSavings = &v1.Savings{Percent: &percent}
	w.node("big", "xlarge", pods("web", 3, "1", "2500Mi")...) // a medium saves 75 %
	r := w.evaluate()
	if len(r.Commands) != 0 {
		t.Fatalf("commands = %v, want none below the threshold", r.Commands)
	}
	expectVerdict(t, r, "big", disruption.ReasonBelowSavingsThreshold, "75.0%", "minSavings.percent of 80%")

	perPod := "0.25"
	w.pool.Spec.Disruption.Consolidation.MinSavings = &v1.Savings{PerPodPerHour: &perPod}
	expectVerdict(t, w.evaluate(), "big", disruption.ReasonBelowSavingsThreshold, "3 pods moved", "perPodPerHour of $0.25")

	perPod = "0.1"
	if cmd := only(t, w.evaluate()); cmd.Action() != "replace" {
		t.Errorf("command = %s, want the replacement once it clears $0.1 per pod", cmd)
	}
}

func TestSpotToSpotNeedsTheGateAndEnoughCheaperTypes(t *testing.T) {
	w := newWorld(true)
	w.nodeIn("spotty", "xlarge", v1.CapacityTypeSpot, pods("web", 3, "1", "2500Mi")...)
	expectVerdict(t, w.evaluate(), "spotty", disruption.ReasonNoCheaperReplacement, "SpotToSpotConsolidation feature gate")

	w.opts.SpotToSpotConsolidation = true
	expectVerdict(t, w.evaluate(), "spotty", disruption.ReasonNoCheaperReplacement, "only 2 cheaper spot instance types", "needs 15")

	w.opts.MinSpotReplacementOptions = 2
	if cmd := only(t, w.evaluate()); cmd.Replacements[0].CapacityType != v1.CapacityTypeSpot {
		t.Errorf("command = %s, want a spot replacement", cmd)
	}
}

func TestPolicyWhenEmptyAndUninitializedNodes(t *testing.T) {
	w := newWorld(false)
	w.pool.Spec.Disruption.ConsolidationPolicy = v1.ConsolidationPolicyWhenEmpty
	w.node("big", "xlarge", pods("web", 3, "1", "2500Mi")...)
	joining := w.node("joining", "large")
	delete(joining.Node.Labels, v1.NodeInitializedLabelKey)
	r := w.evaluate()
	if len(r.Commands) != 0 {
		t.Fatalf("commands = %v, want none", r.Commands)
	}
	expectVerdict(t, r, "big", disruption.ReasonPolicyWhenEmpty, "WhenEmptyOrUnderutilized")
	expectVerdict(t, r, "joining", disruption.ReasonNotInitialized)
}

func TestPodThatFitsNowhereElseKeepsItsNode(t *testing.T) {
	w := newWorld(false)
	picky := pods("picky", 1, "1", "1Gi")
	picky[0].Spec.NodeSelector = map[string]string{"example.com/disk": "local-nvme"}
	w.node("special", "large", picky...)
	expectVerdict(t, w.evaluate(), "special", disruption.ReasonPodsWouldNotFit, "pod default/picky-0")
}

func TestMultiNodeConsolidationMergesNodes(t *testing.T) {
	w := newWorld(false)
	w.pool.Spec.Disruption.Budgets = []v1.Budget{{Nodes: "100%"}}
	for _, name := range []string{"a", "b", "c"} {
		w.node(name, "large", pods("web-"+name, 1, "2", "4Gi")...)
	}
	r := w.evaluate()
	cmd := only(t, r)
	// Three larges at $1.20/h hold 6 CPU: a medium and a small ($0.30/h) hold it too.
	if cmd.Method != disruption.MethodMultiNode || len(cmd.Candidates) != 3 || len(cmd.Replacements) > 2 {
		t.Fatalf("command = %s, want all three merged onto at most two nodes", cmd)
	}
	if !approx(cmd.Savings(), 0.90) {
		t.Errorf("command = %s, want a saving of $0.90/h", cmd)
	}
	for _, name := range []string{"a", "b", "c"} {
		expectVerdict(t, r, name, disruption.ReasonReplace, "MultiNodeConsolidation")
	}
}

func TestDriftAndExpirationReplaceWhateverThePrice(t *testing.T) {
	w := newWorld(false)
	old := w.node("old", "medium", pods("web", 3, "1", "2500Mi")...)
	never := v1.NewNillableDuration(30 * time.Minute)
	old.NodeClaim.Spec.ExpireAfter = never
	r := w.evaluate()
	cmd := only(t, r)
	if cmd.Method != disruption.MethodExpiration || cmd.Replacements[0].InstanceType != "medium" {
		t.Fatalf("command = %s, want expiration replacing old with a medium", cmd)
	}

	w = newWorld(false)
	stale := w.node("stale", "medium", pods("web", 3, "1", "2500Mi")...)
	meta.SetStatusCondition(&stale.NodeClaim.Status.Conditions, metav1.Condition{Type: v1.ConditionTypeDrifted, Status: metav1.ConditionTrue, Reason: "AMIDrift"})
	if cmd := only(t, w.evaluate()); cmd.Method != disruption.MethodDrift || cmd.Reason() != v1.DisruptionReasonDrifted {
		t.Fatalf("command = %s, want drift", cmd)
	}
}

func TestPodsOfNodesAlreadyDisruptingNeedRoomToo(t *testing.T) {
	w := newWorld(false)
	leaving := w.node("leaving", "large", pods("api", 3, "2", "4Gi")...)
	leaving.Node.Spec.Taints = append(leaving.Node.Spec.Taints, disruptedTaint())
	w.node("roomy", "large", pods("web", 1, "1", "1Gi")...)
	r := w.evaluate()
	// roomy's pod could go nowhere but a new node, and the leaving node's pods must land somewhere: deleting
	// roomy would strand them, so the best is a replacement that holds all of them, which costs as much.
	for _, cmd := range r.Commands {
		if cmd.Action() == "delete" {
			t.Fatalf("command %s deletes capacity the leaving node's pods need", cmd)
		}
	}
	if _, ok := r.Candidates["leaving"]; ok {
		t.Error("a node already disrupting is a candidate again")
	}
}

func TestRevalidateAbortsWhenAPodArrives(t *testing.T) {
	w := newWorld(false)
	w.node("big", "xlarge", pods("web", 3, "1", "2500Mi")...)
	cmd := only(t, w.evaluate())

	again, err := disruption.Revalidate(w.input(), cmd, nil)
	if err != nil || again.Replacements[0].InstanceType != "medium" {
		t.Fatalf("revalidating an unchanged cluster = %v, %v; want the same replacement", again, err)
	}

	arrived := pods("late", 1, "1", "1Gi")[0]
	w.nodes[0].Pods = append(w.nodes[0].Pods, arrived)
	if _, err := disruption.Revalidate(w.input(), cmd, nil); err == nil || !strings.Contains(err.Error(), "pods arrived on or left node big") {
		t.Fatalf("revalidating after a pod arrived: err = %v, want it to name the change", err)
	}

	w.nodes[0].Pods = w.nodes[0].Pods[:3]
	w.pdb("web", 0)
	if _, err := disruption.Revalidate(w.input(), cmd, nil); err == nil || !strings.Contains(err.Error(), "PodDisruptionBudget default/web") {
		t.Fatalf("revalidating after the PDB tightened: err = %v, want it to name the PDB", err)
	}
}

// A command chosen later in a pass must not move pods onto a node an earlier command removes.
func TestLaterCommandsDoNotPlacePodsOnRemovedNodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(w *world)
	}{
		{"emptiness then single-node", func(w *world) {
			w.node("empty", "medium")
			w.node("under", "large", pods("web", 1, "1", "1Gi")...)
		}},
		{"emptiness then multi-node", func(w *world) {
			w.node("empty", "medium")
			w.node("a", "medium", pods("a", 1, "1500m", "1Gi")...)
			w.node("b", "medium", pods("b", 1, "1500m", "1Gi")...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(false)
			w.pool.Spec.Disruption.Budgets = []v1.Budget{{Nodes: "100%"}}
			tc.build(w)
			r := w.evaluate()
			removed := map[string]int{}
			for i, cmd := range r.Commands {
				for _, pl := range cmd.Placements {
					if j, ok := removed[pl.Node]; ok {
						t.Errorf("command %d (%s) places pods on %s, which command %d removes", i, cmd, pl.Node, j)
					}
				}
				for _, c := range cmd.Candidates {
					removed[c.Name] = i
				}
			}
		})
	}
}

// A node whose pods prefer to spread over hosts is consolidated like any other: the preference is soft.
func TestPreferencesDoNotInflateReplacements(t *testing.T) {
	w := newWorld(false)
	spread := pods("api", 4, "500m", "1Gi")
	for _, p := range spread {
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
		}}
	}
	w.node("big", "xlarge", spread...)
	cmd := only(t, w.evaluate())
	if cmd.Action() != "replace" || len(cmd.Replacements) != 1 {
		t.Fatalf("command = %s, want one cheaper replacement", cmd)
	}
}
