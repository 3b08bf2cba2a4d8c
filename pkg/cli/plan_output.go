package cli

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// planReport is what `stevedore plan` prints; the JSON field names are part of the CLI's interface.
type planReport struct {
	NodeClaims    []planNodeClaim     `json:"nodeClaims"`
	ExistingNodes []planExistingNode  `json:"existingNodes"`
	Unschedulable []planUnschedulable `json:"unschedulable"`
	Summary       planSummary         `json:"summary"`
	// Ignored lists the objects of kinds plan does not read, as "file: Kind/name".
	Ignored []string `json:"ignored"`
}

// planNodeClaim is a node to launch, named <pool>-<n> in plan order.
type planNodeClaim struct {
	Name         string            `json:"name"`
	NodePool     string            `json:"nodePool"`
	InstanceType string            `json:"instanceType"`
	Zone         string            `json:"zone"`
	CapacityType string            `json:"capacityType"`
	PricePerHour float64           `json:"pricePerHour"`
	Labels       map[string]string `json:"labels"`
	Pods         []string          `json:"pods"`
	// InstanceTypeOptions are the types the launcher may fall back on, cheapest first, the chosen one included.
	InstanceTypeOptions []planInstanceTypeOption `json:"instanceTypeOptions"`
}

// planInstanceTypeOption is an instance type a claim may launch as, at its price in the claim's zone and
// capacity type.
type planInstanceTypeOption struct {
	Name         string  `json:"name"`
	PricePerHour float64 `json:"pricePerHour"`
}

// planExistingNode lists the pending pods placed on an existing node.
type planExistingNode struct {
	Name string   `json:"name"`
	Pods []string `json:"pods"`
}

// planUnschedulable is a pending pod with no place.
type planUnschedulable struct {
	Pod    string `json:"pod"`
	Reason string `json:"reason"`
}

// planSummary totals the plan: pending pods, new nodes and their price per hour, the lower bound on that price,
// and how long the solver took.
type planSummary struct {
	Pods                   int     `json:"pods"`
	NewNodes               int     `json:"newNodes"`
	PricePerHour           float64 `json:"pricePerHour"`
	LowerBoundPricePerHour float64 `json:"lowerBoundPricePerHour"`
	SolveMillis            float64 `json:"solveMillis"`
}

func newPlanReport(pending int, plan *solver.Plan, took time.Duration, ignored []string) *planReport {
	r := &planReport{
		NodeClaims:    []planNodeClaim{},
		ExistingNodes: []planExistingNode{},
		Unschedulable: []planUnschedulable{},
		Ignored:       append([]string{}, ignored...),
		Summary: planSummary{
			Pods:                   pending,
			NewNodes:               len(plan.NewNodeClaims),
			PricePerHour:           dollars(plan.PricePerHour),
			LowerBoundPricePerHour: dollars(plan.LowerBoundPricePerHour),
			SolveMillis:            math.Round(float64(took.Microseconds())) / 1000,
		},
	}
	perPool := map[string]int{}
	for _, c := range plan.NewNodeClaims {
		perPool[c.NodePool]++
		claim := planNodeClaim{
			Name: fmt.Sprintf("%s-%d", c.NodePool, perPool[c.NodePool]), NodePool: c.NodePool,
			InstanceType: c.InstanceType, Zone: c.Zone, CapacityType: c.CapacityType, PricePerHour: dollars(c.PricePerHour),
			Labels: map[string]string{}, Pods: []string{}, InstanceTypeOptions: []planInstanceTypeOption{},
		}
		for k, v := range c.Labels {
			claim.Labels[k] = v
		}
		for _, p := range c.Pods {
			claim.Pods = append(claim.Pods, p.String())
		}
		for _, option := range c.InstanceTypeOptions {
			claim.InstanceTypeOptions = append(claim.InstanceTypeOptions, planInstanceTypeOption{Name: option.Name, PricePerHour: dollars(option.PricePerHour)})
		}
		r.NodeClaims = append(r.NodeClaims, claim)
	}
	for _, e := range plan.Existing {
		node := planExistingNode{Name: e.Node, Pods: []string{}}
		for _, p := range e.Pods {
			node.Pods = append(node.Pods, p.String())
		}
		r.ExistingNodes = append(r.ExistingNodes, node)
	}
	for _, u := range plan.Unschedulable {
		r.Unschedulable = append(r.Unschedulable, planUnschedulable{Pod: u.Pod.String(), Reason: u.Reason})
	}
	return r
}

// dollars rounds a price to a millionth of a dollar, dropping the noise of summing floats.
func dollars(price float64) float64 { return math.Round(price*1e6) / 1e6 }

// tableWidth is the width the table output keeps within.
const tableWidth = 120

// writeTable prints the plan for people: new nodes grouped by pool, instance type, zone and capacity type; the
// price against its lower bound; pods placed on existing nodes; unschedulable pods grouped by reason.
func (r *planReport) writeTable(w io.Writer, defaultPool bool) error {
	if defaultPool {
		fmt.Fprintln(w, "No NodePool in the manifests: planning with the built-in NodePool \"default\" (see stevedore plan --help).")
		fmt.Fprintln(w)
	}
	if len(r.NodeClaims) > 0 {
		r.writeNewNodes(w)
	}
	if len(r.ExistingNodes) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "EXISTING NODE\tPODS PLACED")
		for _, n := range r.ExistingNodes {
			fmt.Fprintf(tw, "%s\t%d\n", n.Name, len(n.Pods))
		}
		_ = tw.Flush()
		fmt.Fprintln(w)
	}
	if len(r.Unschedulable) > 0 {
		r.writeUnschedulable(w)
	}
	if len(r.Ignored) > 0 {
		fmt.Fprint(w, wrap(fmt.Sprintf("Ignored %s of kinds plan does not read: %s", plural(len(r.Ignored), "object"), abbreviate(r.Ignored)), "", "  "))
		fmt.Fprintln(w)
	}
	onNew, onExisting := 0, 0
	for _, c := range r.NodeClaims {
		onNew += len(c.Pods)
	}
	for _, n := range r.ExistingNodes {
		onExisting += len(n.Pods)
	}
	_, err := fmt.Fprintf(w, "Planned %s in %sms: %d on %s, %d on existing nodes, %d unschedulable.\n",
		plural(r.Summary.Pods, "pending pod"), formatMillis(r.Summary.SolveMillis), onNew, plural(len(r.NodeClaims), "new node"),
		onExisting, len(r.Unschedulable))
	return err
}

// nodeGroup is new nodes of one pool, instance type, zone and capacity type.
type nodeGroup struct {
	pool, instanceType, zone, capacityType string
	nodes, pods                            int
	price                                  float64
}

func (r *planReport) writeNewNodes(w io.Writer) {
	var groups []*nodeGroup
	for _, c := range r.NodeClaims {
		i := slices.IndexFunc(groups, func(g *nodeGroup) bool {
			return g.pool == c.NodePool && g.instanceType == c.InstanceType && g.zone == c.Zone && g.capacityType == c.CapacityType
		})
		if i < 0 {
			i = len(groups)
			groups = append(groups, &nodeGroup{pool: c.NodePool, instanceType: c.InstanceType, zone: c.Zone, capacityType: c.CapacityType})
		}
		groups[i].nodes++
		groups[i].pods += len(c.Pods)
		groups[i].price += c.PricePerHour
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODEPOOL\tINSTANCE TYPE\tZONE\tCAPACITY TYPE\tNODES\tPODS\tUSD/HOUR")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.4f\n", g.pool, g.instanceType, g.zone, g.capacityType, g.nodes, g.pods, g.price)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nTotal: %s at $%.4f/hour", plural(len(r.NodeClaims), "new node"), r.Summary.PricePerHour)
	if lower := r.Summary.LowerBoundPricePerHour; lower > 0 {
		// The gap bounds how much cheaper any plan for the same pods could be.
		fmt.Fprintf(w, "; lower bound $%.4f/hour, a gap of %.1f%%", lower, (r.Summary.PricePerHour/lower-1)*100)
	}
	fmt.Fprint(w, ".\n\n")
}

// maxListed bounds the names listed in one entry of the table output.
const maxListed = 5

func (r *planReport) writeUnschedulable(w io.Writer) {
	var reasons []string
	pods := map[string][]string{}
	for _, u := range r.Unschedulable {
		if _, ok := pods[u.Reason]; !ok {
			reasons = append(reasons, u.Reason)
		}
		pods[u.Reason] = append(pods[u.Reason], u.Pod)
	}
	fmt.Fprintf(w, "UNSCHEDULABLE (%s)\n", plural(len(r.Unschedulable), "pod"))
	for _, reason := range reasons {
		names := pods[reason]
		fmt.Fprint(w, wrap(fmt.Sprintf("%s (%s)", reason, plural(len(names), "pod")), "  ", "    "))
		fmt.Fprint(w, wrap(abbreviate(names), "    ", "    "))
	}
	fmt.Fprintln(w)
}

// plural counts things: "1 pod", "2 pods".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// abbreviate lists the first maxListed names and counts the rest.
func abbreviate(names []string) string {
	list := strings.Join(names[:min(len(names), maxListed)], ", ")
	if len(names) > maxListed {
		list += fmt.Sprintf(" and %d more", len(names)-maxListed)
	}
	return list
}

// wrap breaks text into lines of at most tableWidth columns at spaces, the first line indented by first and the
// rest by rest. A word longer than a line is left whole.
func wrap(text, first, rest string) string {
	var b strings.Builder
	line := first
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > tableWidth {
			b.WriteString(line + "\n")
			line = rest + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}

// formatMillis prints milliseconds with the precision that matters: 0.042, 3.1, 250.
func formatMillis(ms float64) string {
	switch {
	case ms < 1:
		return fmt.Sprintf("%.3f", ms)
	case ms < 10:
		return fmt.Sprintf("%.1f", ms)
	default:
		return fmt.Sprintf("%.0f", ms)
	}
}
