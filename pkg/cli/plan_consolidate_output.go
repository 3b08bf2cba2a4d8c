package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/disruption"
)

// consolidateReport is what `stevedore plan --consolidate` prints; the JSON field names are part of the CLI's
// interface.
type consolidateReport struct {
	// Now is the time the pass judged at, RFC 3339.
	Now string `json:"now"`
	// Commands are what the controller would do, in the order it would do them.
	Commands []consolidateCommand `json:"commands"`
	// Nodes are every node of the input, in input order, with what happens to it and why.
	Nodes   []consolidateNode  `json:"nodes"`
	Summary consolidateSummary `json:"summary"`
	// Ignored lists the objects of kinds plan does not read, as "file: Kind/name".
	Ignored []string `json:"ignored"`
}

// consolidateCommand is one disruption: the candidates it removes and the replacements it launches first.
type consolidateCommand struct {
	Method string `json:"method"`
	// Action is "delete" or "replace".
	Action       string                   `json:"action"`
	Candidates   []consolidateNodeRef     `json:"candidates"`
	Replacements []consolidateReplacement `json:"replacements"`
	// Placements are the moved pods the nodes that stay take in.
	Placements              []consolidatePlacement `json:"placements"`
	PodsMoved               int                    `json:"podsMoved"`
	PricePerHour            float64                `json:"pricePerHour"`
	ReplacementPricePerHour float64                `json:"replacementPricePerHour"`
	SavingsPerHour          float64                `json:"savingsPerHour"`
	// Description is the command in one sentence, as the controller logs it.
	Description string `json:"description"`
}

// consolidateNodeRef is a node a command removes.
type consolidateNodeRef struct {
	Name         string  `json:"name"`
	NodeClaim    string  `json:"nodeClaim"`
	NodePool     string  `json:"nodePool"`
	InstanceType string  `json:"instanceType"`
	Zone         string  `json:"zone"`
	CapacityType string  `json:"capacityType"`
	PricePerHour float64 `json:"pricePerHour"`
	Pods         int     `json:"pods"`
}

// consolidateReplacement is a node a command launches.
type consolidateReplacement struct {
	NodePool     string   `json:"nodePool"`
	InstanceType string   `json:"instanceType"`
	Zone         string   `json:"zone"`
	CapacityType string   `json:"capacityType"`
	PricePerHour float64  `json:"pricePerHour"`
	Pods         []string `json:"pods"`
}

// consolidatePlacement is the moved pods one node that stays takes in.
type consolidatePlacement struct {
	Node string   `json:"node"`
	Pods []string `json:"pods"`
}

// consolidateNode is one node and its fate: removed by a command, or kept, with the verdict's reason and
// message, and what the rule that keeps it holds back.
type consolidateNode struct {
	consolidateNodeRef
	// Candidate is false for a node the pass does not consider (see Reason).
	Candidate bool `json:"candidate"`
	// Action is "delete" or "replace" for a node a command removes, else "keep".
	Action string `json:"action"`
	// Method is the method of the command that removes the node, "" for a kept node.
	Method string `json:"method"`
	// Consolidatable, Reason and Message are the verdict: what the controller's Consolidatable condition
	// would say.
	Consolidatable        bool    `json:"consolidatable"`
	Reason                string  `json:"reason"`
	Message               string  `json:"message"`
	SavingsBlockedPerHour float64 `json:"savingsBlockedPerHour"`
}

// consolidateSummary totals the pass: what the candidates cost before and after the commands, and what the
// rules that keep nodes hold back.
type consolidateSummary struct {
	Nodes             int     `json:"nodes"`
	Candidates        int     `json:"candidates"`
	NodesRemoved      int     `json:"nodesRemoved"`
	NodesLaunched     int     `json:"nodesLaunched"`
	PodsMoved         int     `json:"podsMoved"`
	PricePerHour      float64 `json:"pricePerHour"`
	PricePerHourAfter float64 `json:"pricePerHourAfter"`
	SavingsPerHour    float64 `json:"savingsPerHour"`
	// SavingsBlockedPerHour adds up the kept nodes' SavingsBlockedPerHour; each was judged alone, so removing
	// all of them at once may save less.
	SavingsBlockedPerHour float64 `json:"savingsBlockedPerHour"`
}

func newConsolidateReport(in *disruption.Input, r *disruption.Result, why map[string]notCandidate, ignored []string) *consolidateReport {
	rep := &consolidateReport{
		Now: in.Now.UTC().Format(time.RFC3339), Commands: []consolidateCommand{}, Nodes: []consolidateNode{},
		Ignored: append([]string{}, ignored...),
	}
	removedBy := map[string]*disruption.Command{}
	for _, cmd := range r.Commands {
		for _, cand := range cmd.Candidates {
			removedBy[cand.Name] = cmd
		}
		rep.Commands = append(rep.Commands, newConsolidateCommand(cmd))
		rep.Summary.NodesRemoved += len(cmd.Candidates)
		rep.Summary.NodesLaunched += len(cmd.Replacements)
		rep.Summary.PodsMoved += cmd.Pods()
		rep.Summary.SavingsPerHour += cmd.Savings()
	}
	for _, n := range in.Snapshot.Nodes {
		node := consolidateNode{consolidateNodeRef: consolidateNodeRef{Name: n.Name, NodePool: n.NodePool}, Action: "keep"}
		node.InstanceType, node.Zone, node.CapacityType = n.Labels[corev1.LabelInstanceTypeStable], n.Labels[corev1.LabelTopologyZone], n.Labels[v1.CapacityTypeLabelKey]
		cand, ok := r.Candidates[n.Name]
		if ok {
			node.consolidateNodeRef, node.Candidate = nodeRef(cand), true
			rep.Summary.Candidates++
			rep.Summary.PricePerHour += cand.PricePerHour
			key := orElse(cand.NodeClaim, cand.Name)
			if v, judged := r.Verdicts[key]; judged {
				node.Consolidatable, node.Reason, node.Message, node.SavingsBlockedPerHour = v.Consolidatable, v.Reason, v.Message, dollars(v.SavingsBlocked)
			}
		} else {
			node.Reason, node.Message = notConsidered(why[n.Name])
		}
		if cmd := removedBy[n.Name]; cmd != nil {
			node.Action, node.Method, node.SavingsBlockedPerHour = cmd.Action(), string(cmd.Method), 0
			if node.Reason == "" {
				// Expiration and drift replace nodes without judging them for consolidation.
				node.Consolidatable, node.Reason, node.Message = true, disruption.ReasonDelete, fmt.Sprintf("%s would %s", cmd.Method, cmd)
				if cmd.Action() == "replace" {
					node.Reason = disruption.ReasonReplace
				}
			}
		} else {
			rep.Summary.SavingsBlockedPerHour += node.SavingsBlockedPerHour
		}
		rep.Nodes = append(rep.Nodes, node)
	}
	rep.Summary.Nodes = len(rep.Nodes)
	rep.Summary.PricePerHourAfter = dollars(rep.Summary.PricePerHour - rep.Summary.SavingsPerHour)
	rep.Summary.PricePerHour = dollars(rep.Summary.PricePerHour)
	rep.Summary.SavingsPerHour = dollars(rep.Summary.SavingsPerHour)
	rep.Summary.SavingsBlockedPerHour = dollars(rep.Summary.SavingsBlockedPerHour)
	return rep
}

func newConsolidateCommand(cmd *disruption.Command) consolidateCommand {
	c := consolidateCommand{
		Method: string(cmd.Method), Action: cmd.Action(), Candidates: []consolidateNodeRef{}, Replacements: []consolidateReplacement{},
		Placements: []consolidatePlacement{}, PodsMoved: cmd.Pods(), PricePerHour: dollars(cmd.PricePerHour()),
		ReplacementPricePerHour: dollars(cmd.ReplacementPricePerHour()), SavingsPerHour: dollars(cmd.Savings()), Description: cmd.String(),
	}
	for _, cand := range cmd.Candidates {
		c.Candidates = append(c.Candidates, nodeRef(cand))
	}
	for _, nc := range cmd.Replacements {
		repl := consolidateReplacement{NodePool: nc.NodePool, InstanceType: nc.InstanceType, Zone: nc.Zone, CapacityType: nc.CapacityType,
			PricePerHour: dollars(nc.PricePerHour), Pods: []string{}}
		for _, p := range nc.Pods {
			repl.Pods = append(repl.Pods, p.String())
		}
		c.Replacements = append(c.Replacements, repl)
	}
	for _, e := range cmd.Placements {
		pl := consolidatePlacement{Node: e.Node, Pods: []string{}}
		for _, p := range e.Pods {
			pl.Pods = append(pl.Pods, p.String())
		}
		c.Placements = append(c.Placements, pl)
	}
	return c
}

func nodeRef(c *disruption.Candidate) consolidateNodeRef {
	return consolidateNodeRef{Name: c.Name, NodeClaim: c.NodeClaim, NodePool: c.NodePool.Name, InstanceType: c.InstanceType,
		Zone: c.Zone, CapacityType: c.CapacityType, PricePerHour: dollars(c.PricePerHour), Pods: len(c.Pods)}
}

// orElse is a, or b when a is empty.
func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// notConsidered says why the pass left a node out: plan kept it out (why), or the node is on its way out.
func notConsidered(why notCandidate) (reason, message string) {
	if why.reason != "" {
		return why.reason, why.message
	}
	return reasonDisrupting, "it is being deleted, or carries the " + v1.DisruptedTaintKey + " taint of a disruption in progress"
}

// writeTable prints the pass for people: the commands, the nodes kept and why, and the totals.
func (r *consolidateReport) writeTable(w io.Writer, defaultPool bool) error {
	if defaultPool {
		fmt.Fprintln(w, "No NodePool in the input: judging with the built-in NodePool \"default\" (see stevedore plan --help).")
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Disruption at %s: %s.\n\n", r.Now, plural(len(r.Commands), "command"))
	for i, c := range r.Commands {
		fmt.Fprint(w, wrap(fmt.Sprintf("%d. %s: %s %s, %s; %s", i+1, c.Method, c.Action, plural(len(c.Candidates), "node"),
			disruption.SavingsPhrase(c.SavingsPerHour), disruption.PodsMove(c.PodsMoved)), "", "   "))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, n := range c.Candidates {
			fmt.Fprintf(tw, "   - %s\t%s\t%s\t%s\t$%.4f/h\t%s\n", n.Name, n.InstanceType, n.Zone, n.CapacityType, n.PricePerHour, plural(n.Pods, "pod"))
		}
		for _, n := range c.Replacements {
			fmt.Fprintf(tw, "   + new %s node\t%s\t%s\t%s\t$%.4f/h\t%s\n", n.NodePool, n.InstanceType, n.Zone, n.CapacityType, n.PricePerHour, plural(len(n.Pods), "pod"))
		}
		for _, pl := range c.Placements {
			fmt.Fprintf(tw, "   > onto %s\t%s\n", pl.Node, plural(len(pl.Pods), "pod"))
		}
		_ = tw.Flush()
		fmt.Fprintln(w)
	}
	kept := slices.DeleteFunc(slices.Clone(r.Nodes), func(n consolidateNode) bool { return n.Action != "keep" })
	if len(kept) > 0 {
		r.writeKept(w, kept)
	}
	if len(r.Ignored) > 0 {
		fmt.Fprint(w, wrap(fmt.Sprintf("Ignored %s of kinds plan does not read: %s", plural(len(r.Ignored), "object"), abbreviate(r.Ignored)), "", "  "))
		fmt.Fprintln(w)
	}
	s := r.Summary
	fmt.Fprint(w, wrap(fmt.Sprintf("Stevedore's %s cost $%.4f/hour now and $%.4f/hour after these commands: %d removed, %d launched, %s moved, %s.",
		plural(s.Candidates, "node"), s.PricePerHour, s.PricePerHourAfter, s.NodesRemoved, s.NodesLaunched, plural(s.PodsMoved, "pod"), disruption.SavingsPhrase(s.SavingsPerHour)), "", ""))
	if s.SavingsBlockedPerHour > 0 {
		fmt.Fprint(w, wrap(fmt.Sprintf("Rules that keep nodes hold back $%.4f/hour (each node judged alone).", s.SavingsBlockedPerHour), "", ""))
	}
	return nil
}

// writeKept lists the kept nodes in a table, then each one's message: the messages are too long for a column.
func (r *consolidateReport) writeKept(w io.Writer, kept []consolidateNode) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEPT NODE\tNODEPOOL\tINSTANCE TYPE\tUSD/HOUR\tPODS\tREASON\tHELD BACK USD/HOUR")
	for _, n := range kept {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4f\t%d\t%s\t%.4f\n", n.Name, dash(n.NodePool), dash(n.InstanceType), n.PricePerHour, n.Pods, n.Reason, n.SavingsBlockedPerHour)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "WHY")
	for _, n := range kept {
		msg := n.Message
		if n.Consolidatable {
			// Each method runs one command a pass, so this node waits; the verdict judged it without that command.
			msg = "not this pass, since each method runs one command; judged alone, " + msg
		}
		fmt.Fprint(w, wrap(n.Name+": "+msg, "  ", "    "))
	}
	fmt.Fprintln(w)
}

func dash(s string) string { return orElse(strings.TrimSpace(s), "-") }
