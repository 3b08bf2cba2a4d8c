package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/manifest"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

func TestPDBsWithStatus(t *testing.T) {
	objects := mustObjects(t, strings.Join([]string{
		appPod("a1", "n1", "web", "100m", started, "", ""),
		appPod("a2", "n1", "web", "100m", started, "", ""),
		appPod("a3", "n2", "web", "100m", started, "", ""),
		// Pending, so not healthy; and one not ready.
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a4, labels: {app: web}}\nspec: {containers: [{name: c, image: i}]}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a5, labels: {app: web}}\nspec: {nodeName: n2, containers: [{name: c, image: i}]}\n" +
			"status: {phase: Running, conditions: [{type: Ready, status: 'False'}]}\n",
		// Another namespace, and finished: neither counts.
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a6, namespace: other, labels: {app: web}}\nspec: {nodeName: n1, containers: [{name: c, image: i}]}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a7, labels: {app: web}}\nspec: {nodeName: n1, containers: [{name: c, image: i}]}\nstatus: {phase: Succeeded}\n",
		pdb("min-count", "minAvailable: 2", ""),
		pdb("min-percent", "minAvailable: 50%", ""),
		pdb("max-count", "maxUnavailable: 1", ""),
		pdb("max-percent", "maxUnavailable: 10%", ""),
		pdb("given", "minAvailable: 1", "status: {disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1}\n"),
	}, "---\n"))
	got := pdbsWithStatus(objects.PodDisruptionBudgets, objects.Pods)
	// 5 pods expected, 3 healthy (a4 is pending, a5 not ready).
	want := map[string][4]int32{ // expected, healthy, desired, allowed
		"min-count":   {5, 3, 2, 1},
		"min-percent": {5, 3, 3, 0}, // 50% of 5 rounds up to 3
		"max-count":   {5, 3, 4, 0},
		"max-percent": {5, 3, 4, 0}, // 10% of 5 rounds up to 1 unavailable
		"given":       {1, 1, 1, 0},
	}
	for i, p := range got {
		s := p.Status
		if w := want[p.Name]; [4]int32{s.ExpectedPods, s.CurrentHealthy, s.DesiredHealthy, s.DisruptionsAllowed} != w {
			t.Errorf("PDB %s status %+v, want expected/healthy/desired/allowed %v", p.Name, s, w)
		}
		if p.Name != "given" && objects.PodDisruptionBudgets[i].Status.ExpectedPods != 0 {
			t.Errorf("PDB %s: the input was modified", p.Name)
		}
	}
}

func pdb(name, rule, status string) string {
	return fmt.Sprintf("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: %s}\nspec: {%s, selector: {matchLabels: {app: web}}}\n%s", name, rule, status)
}

func mustObjects(t *testing.T, manifests string) *manifest.Objects {
	t.Helper()
	o, err := manifest.Read("test.yaml", strings.NewReader(manifests))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestPlacementsOnRemoved(t *testing.T) {
	cand := func(name string) *disruption.Candidate { return &disruption.Candidate{Name: name} }
	cmds := []*disruption.Command{
		{Method: disruption.MethodEmptiness, Candidates: []*disruption.Candidate{cand("a"), cand("b")}},
		{Method: disruption.MethodMultiNode, Candidates: []*disruption.Candidate{cand("c")},
			Placements: []solver.ExistingPlacement{{Node: "d", Pods: []types.NamespacedName{{Namespace: "x", Name: "p"}}}}},
		{Method: disruption.MethodSingleNode, Candidates: []*disruption.Candidate{cand("e")},
			Placements: []solver.ExistingPlacement{{Node: "b", Pods: []types.NamespacedName{{Namespace: "x", Name: "q"}}}, {Node: "d"}}},
	}
	got := placementsOnRemoved(cmds)
	want := []string{"command 3 (SingleNodeConsolidation) moves 1 pod onto node b, which command 1 (Emptiness) removes"}
	if !slices.Equal(got, want) {
		t.Errorf("placementsOnRemoved = %q, want %q", got, want)
	}
}
