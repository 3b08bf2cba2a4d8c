package cli

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// consolidateOptions are the flags of `stevedore plan --consolidate`.
type consolidateOptions struct {
	consolidate bool
	now         string
	spotToSpot  bool
	// clock gives the time of the pass when --now is not set.
	clock clock.PassiveClock
	// at is the time of the pass, set by validate.
	at time.Time
}

func (o *consolidateOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.consolidate, "consolidate", false, "show what the disruption controller would do now with the existing nodes, instead of placing pending pods")
	f.StringVar(&o.now, "now", "", "with --consolidate: the time to judge at, in RFC 3339 such as 2026-11-26T12:00:00Z (default: the current time)")
	f.BoolVar(&o.spotToSpot, "spot-to-spot", false, "with --consolidate: let spot nodes be replaced by cheaper spot nodes, as the controller's SpotToSpotConsolidation feature gate does")
}

// validate checks the consolidation flags and sets the time of the pass.
func (o *consolidateOptions) validate() []error {
	var errs []error
	if !o.consolidate {
		if o.now != "" {
			errs = append(errs, errors.New("--now applies only to --consolidate: add --consolidate, or drop --now"))
		}
		if o.spotToSpot {
			errs = append(errs, errors.New("--spot-to-spot applies only to --consolidate: add --consolidate, or drop --spot-to-spot"))
		}
		return errs
	}
	o.at = o.clock.Now()
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return append(errs, fmt.Errorf("--now %q is not an RFC 3339 time: write it like 2026-11-26T12:00:00Z or 2026-11-26T13:00:00+01:00", o.now))
		}
		o.at = t
	}
	return errs
}

// runConsolidate runs one disruption pass over the snapshot's nodes and prints its commands and verdicts.
func (o *planOptions) runConsolidate(cmd *cobra.Command, b *snapshotBuilder, snapshot *solver.Snapshot) error {
	nodes, why := b.disruptionNodes()
	if len(nodes) != len(snapshot.Nodes) {
		// Evaluate pairs them by index; build and disruptionNodes both follow the input's order of Nodes.
		return fmt.Errorf("describing nodes: %d for a snapshot of %d", len(nodes), len(snapshot.Nodes))
	}
	in := &disruption.Input{
		Snapshot: snapshot,
		Nodes:    nodes,
		PDBs:     pdbsWithStatus(b.objects.PodDisruptionBudgets, b.objects.Pods),
		Now:      o.at,
		Options:  disruption.Options{SpotToSpotConsolidation: o.spotToSpot},
	}
	result := disruption.Evaluate(in, nil)
	for _, c := range placementsOnRemoved(result.Commands) {
		b.warn("%s", c)
	}
	report := newConsolidateReport(in, result, why, b.objects.Ignored)
	if o.output.value == outputJSON {
		return writeJSON(cmd.OutOrStdout(), report)
	}
	return report.writeTable(cmd.OutOrStdout(), b.defaultPool)
}

// Reasons plan gives nodes the disruption pass does not consider; the pass's own are disruption.Reason*.
const (
	reasonNotManaged = "NotManaged"
	reasonDisrupting = "Disrupting"
)

// notCandidate says why the pass does not consider a node.
type notCandidate struct{ reason, message string }

// disruptionNodes describes the manifests' nodes for the disruption pass, one for one with the snapshot's
// nodes, with the NodeClaim whose status.nodeName names each. A node that is not Stevedore's to disrupt (no
// NodePool label, an unknown pool or no instance-type label) is passed without its Node, which keeps it out
// of the candidates while its room still counts; why says why, by node name.
func (b *snapshotBuilder) disruptionNodes() ([]*disruption.Node, map[string]notCandidate) {
	claims := map[string]*v1.NodeClaim{}
	for _, nc := range b.objects.NodeClaims {
		switch {
		case nc.Status.NodeName == "":
			b.warn("NodeClaim %s has no status.nodeName; it is left out (in-flight claims are not modelled)", nc.Name)
		case claims[nc.Status.NodeName] != nil:
			b.warn("NodeClaims %s and %s both name node %s in status.nodeName; using %s", claims[nc.Status.NodeName].Name, nc.Name, nc.Status.NodeName, claims[nc.Status.NodeName].Name)
		default:
			claims[nc.Status.NodeName] = nc
		}
	}
	pools := map[string]bool{}
	for _, np := range b.pools {
		pools[np.Name] = true
	}
	why := map[string]notCandidate{}
	nodes := make([]*disruption.Node, len(b.objects.Nodes))
	for i, n := range b.objects.Nodes {
		nc := claims[n.Name]
		delete(claims, n.Name)
		nodes[i] = &disruption.Node{Node: n, NodeClaim: nc}
		pool := n.Labels[v1.NodePoolLabelKey]
		var reason string
		switch {
		case pool == "":
			reason = fmt.Sprintf("it has no %s label, so Stevedore did not launch it and does not disrupt it", v1.NodePoolLabelKey)
		case !pools[pool]:
			reason = fmt.Sprintf("its NodePool %s is not in the input; add the NodePool to judge it", pool)
		case n.Labels[corev1.LabelInstanceTypeStable] == "":
			reason = fmt.Sprintf("it has no %s label, so its price is unknown", corev1.LabelInstanceTypeStable)
		}
		if reason != "" {
			nodes[i].Node = nil
			why[n.Name] = notCandidate{reasonNotManaged, reason}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(claims)) {
		b.warn("NodeClaim %s names node %s, which the input does not define; it is left out", claims[name].Name, name)
	}
	return nodes, why
}

// placementsOnRemoved finds commands that move pods onto a node an earlier command of the same pass removes:
// executed in order, such a command would leave its pods nowhere to go, so the plan says so rather than show
// savings the controller cannot keep.
func placementsOnRemoved(cmds []*disruption.Command) []string {
	var out []string
	removedBy := map[string]int{}
	for i, cmd := range cmds {
		for _, pl := range cmd.Placements {
			if j, ok := removedBy[pl.Node]; ok {
				out = append(out, fmt.Sprintf("command %d (%s) moves %s onto node %s, which command %d (%s) removes",
					i+1, cmd.Method, plural(len(pl.Pods), "pod"), pl.Node, j+1, cmds[j].Method))
			}
		}
		for _, c := range cmd.Candidates {
			if _, ok := removedBy[c.Name]; !ok {
				removedBy[c.Name] = i
			}
		}
	}
	return out
}
