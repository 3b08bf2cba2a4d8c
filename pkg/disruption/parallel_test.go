package disruption_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// fixturePool is the fixture world's pool, for generated clusters small enough for unit tests.
func fixturePool() *solver.NodePool {
	w := newWorld(false)
	return &solver.NodePool{NodePool: w.pool, InstanceTypes: w.types}
}

var fixtureNodeTypes = []string{"medium", "large", "xlarge"}

// summary is what a pass decided, in comparable form.
func summary(r *disruption.Result) (commands []string, verdicts map[string]disruption.Verdict) {
	for _, c := range r.Commands {
		commands = append(commands, c.String())
	}
	return commands, r.Verdicts
}

func TestSimulationsSideBySideDecideAsOneByOne(t *testing.T) {
	in := generateCluster(t, fixturePool(), fixtureNodeTypes, 40, 3)
	in.Options.Parallelism = 1
	wantCommands, wantVerdicts := summary(disruption.Evaluate(in, nil))
	if len(wantVerdicts) != 40 {
		t.Fatalf("one-by-one pass judged %d of 40 nodes, want every one", len(wantVerdicts))
	}
	for _, parallelism := range []int{2, 8} {
		in.Options.Parallelism = parallelism
		r := disruption.Evaluate(in, nil)
		commands, verdicts := summary(r)
		if !reflect.DeepEqual(commands, wantCommands) {
			t.Errorf("parallelism %d: commands %q, want %q", parallelism, commands, wantCommands)
		}
		if !reflect.DeepEqual(verdicts, wantVerdicts) {
			for name, want := range wantVerdicts {
				if got := verdicts[name]; got != want {
					t.Errorf("parallelism %d: verdict for %s = %+v, want %+v", parallelism, name, got, want)
				}
			}
		}
	}
}

func TestDeadlineStopsSimulationsSideBySideAsOneByOne(t *testing.T) {
	in := generateCluster(t, fixturePool(), fixtureNodeTypes, 40, 3)
	// evaluate runs a pass whose clock moves a second each time it is read, so that single-node
	// consolidation starts on as many candidates as the deadline is seconds away, less one.
	evaluate := func(parallelism int, deadline time.Duration) *disruption.Result {
		clock := now
		in.Options = disruption.Options{Parallelism: parallelism, Deadline: now.Add(deadline), Clock: func() time.Time {
			clock = clock.Add(time.Second)
			return clock
		}}
		return disruption.Evaluate(in, nil)
	}
	none := evaluate(1, time.Second)
	if full := disruption.Evaluate(generateCluster(t, fixturePool(), fixtureNodeTypes, 40, 3), nil); len(none.Verdicts)+2 >= len(full.Verdicts) {
		t.Fatalf("without single-node consolidation %d nodes have verdicts, with it %d: the test needs more candidates", len(none.Verdicts), len(full.Verdicts))
	}
	want := evaluate(1, 3*time.Second)
	if len(want.Verdicts) != len(none.Verdicts)+2 {
		t.Fatalf("one by one, a deadline of two simulations judged %d nodes, want %d", len(want.Verdicts), len(none.Verdicts)+2)
	}
	wantCommands, wantVerdicts := summary(want)
	for _, parallelism := range []int{2, 4} {
		commands, verdicts := summary(evaluate(parallelism, 3*time.Second))
		if !reflect.DeepEqual(commands, wantCommands) || !reflect.DeepEqual(verdicts, wantVerdicts) {
			t.Errorf("parallelism %d with a deadline decided\n%q\n%v\nwant\n%q\n%v", parallelism, commands, verdicts, wantCommands, wantVerdicts)
		}
	}
}
