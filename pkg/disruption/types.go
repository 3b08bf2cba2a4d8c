package disruption

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// Input is everything a disruption pass considers. Evaluate never modifies it.
type Input struct {
	// Snapshot is the solver's view of the cluster: every node and in-flight NodeClaim with the pods bound or
	// nominated to it, and the NodePools with their instance types. Its Pods are ignored.
	Snapshot *solver.Snapshot
	// Nodes describe Snapshot.Nodes, one for one and in the same order.
	Nodes []*Node
	// PDBs are the cluster's PodDisruptionBudgets, with the status the disruption controller computed.
	PDBs []*policyv1.PodDisruptionBudget
	// Now is the time of the pass.
	Now time.Time
	// Options tune the pass.
	Options Options
}

// Node is what the pass knows of one node beyond the solver's view of it.
type Node struct {
	// Node is the Kubernetes Node; nil for a NodeClaim whose node has not registered.
	Node *corev1.Node
	// NodeClaim is the claim behind the node; nil for a node Stevedore did not launch, or when the caller only
	// has Nodes (a plan from manifests).
	NodeClaim *v1.NodeClaim
	// LastPodEvent is when a pod last arrived on or left the node; zero when unknown, in which case the node's
	// pods' start times stand in.
	LastPodEvent time.Time
}

// Options tune a pass; zero values take the defaults.
type Options struct {
	// SpotToSpotConsolidation allows replacing a spot node with a cheaper spot node. Off, spot nodes are only
	// deleted, never replaced by spot.
	SpotToSpotConsolidation bool
	// MinSpotReplacementOptions is how many cheaper instance types a spot-to-spot replacement needs, so that
	// the replacement keeps the diversity that makes spot interruptions rare; DefaultMinSpotReplacementOptions
	// when zero.
	MinSpotReplacementOptions int
	// MaxMultiNodeCandidates bounds how many nodes multi-node consolidation considers at once;
	// DefaultMaxMultiNodeCandidates when zero.
	MaxMultiNodeCandidates int
	// Deadline, when set, stops single-node consolidation from simulating more candidates once Clock passes it;
	// the candidates left get no verdict this pass.
	Deadline time.Time
	// Clock reads the time for Deadline; time.Now when nil. Single-node consolidation calls it from one
	// goroutine other than Evaluate's.
	Clock func() time.Time
	// Parallelism is how many single-node simulations run at once; runtime.GOMAXPROCS(0) when zero. The
	// result does not depend on it, only how many candidates a Deadline leaves time for.
	Parallelism int
}

// Defaults for Options.
const (
	DefaultMinSpotReplacementOptions = 15
	DefaultMaxMultiNodeCandidates    = 100
)

func (o Options) withDefaults() Options {
	if o.MinSpotReplacementOptions <= 0 {
		o.MinSpotReplacementOptions = DefaultMinSpotReplacementOptions
	}
	if o.MaxMultiNodeCandidates <= 0 {
		o.MaxMultiNodeCandidates = DefaultMaxMultiNodeCandidates
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	return o
}

// Method is a way of disrupting nodes, in the order a pass tries them.
type Method string

// Methods.
const (
	MethodExpiration = Method("Expiration")
	MethodDrift      = Method("Drift")
	MethodEmptiness  = Method("Emptiness")
	MethodMultiNode  = Method("MultiNodeConsolidation")
	MethodSingleNode = Method("SingleNodeConsolidation")
)

// Methods lists every method in the order a pass runs them.
var Methods = []Method{MethodExpiration, MethodDrift, MethodEmptiness, MethodMultiNode, MethodSingleNode}

// Reason is the budget reason a method disrupts for.
func (m Method) Reason() v1.DisruptionReason {
	switch m {
	case MethodExpiration:
		return v1.DisruptionReasonExpired
	case MethodDrift:
		return v1.DisruptionReasonDrifted
	case MethodEmptiness:
		return v1.DisruptionReasonEmpty
	default:
		return v1.DisruptionReasonUnderutilized
	}
}

// Candidate is a node a method may remove.
type Candidate struct {
	// Name is the node's name; NodeClaim its claim's, when there is one.
	Name, NodeClaim string
	// NodePool is the pool the node belongs to.
	NodePool *v1.NodePool
	// InstanceType, Zone and CapacityType describe the node; PricePerHour is what it costs, 0 when unknown.
	InstanceType, Zone, CapacityType string
	PricePerHour                     float64
	// Pods are the pods that must move if the node goes: every pod but DaemonSet, static and finished ones.
	Pods []*corev1.Pod
	// Requests are the Pods' total requests.
	Requests corev1.ResourceList
	// Utilization is the larger of the node's requested CPU and memory shares, from 0 to 1.
	Utilization float64

	node  *Node
	index int // position in Input.Snapshot.Nodes
}

// String names the node and its type.
func (c *Candidate) String() string { return fmt.Sprintf("%s (%s)", c.Name, c.InstanceType) }

// Command is one disruption: candidates to remove and replacements to launch first.
type Command struct {
	// Method chose the command.
	Method Method
	// Candidates are the nodes to remove.
	Candidates []*Candidate
	// Replacements are the nodes to launch, and see initialized, before any candidate is removed.
	Replacements []*solver.NewNodeClaim
	// Placements is where the solver put the candidates' pods on nodes that stay.
	Placements []solver.ExistingPlacement
}

// Reason is the budget reason the command disrupts for.
func (c *Command) Reason() v1.DisruptionReason { return c.Method.Reason() }

// PricePerHour is what the candidates cost.
func (c *Command) PricePerHour() float64 {
	total := 0.0
	for _, cand := range c.Candidates {
		total += cand.PricePerHour
	}
	return total
}

// ReplacementPricePerHour is what the replacements cost.
func (c *Command) ReplacementPricePerHour() float64 {
	total := 0.0
	for _, r := range c.Replacements {
		total += r.PricePerHour
	}
	return total
}

// Savings is what the command saves per hour; negative when replacements cost more (drift and expiration
// replace nodes whatever the price).
func (c *Command) Savings() float64 { return c.PricePerHour() - c.ReplacementPricePerHour() }

// Pods counts the pods the command moves.
func (c *Command) Pods() int {
	n := 0
	for _, cand := range c.Candidates {
		n += len(cand.Pods)
	}
	return n
}

// Action is "delete" when nothing replaces the candidates, else "replace".
func (c *Command) Action() string {
	if len(c.Replacements) == 0 {
		return "delete"
	}
	return "replace"
}

// String says what the command does, such as "replace node-a (m5.2xlarge) with m7g.xlarge/spot in us-east-1a,
// saving $0.2310/h; 12 pods move".
func (c *Command) String() string {
	var names []string
	for i, cand := range c.Candidates {
		if i == maxNamed {
			names = append(names, fmt.Sprintf("and %d more", len(c.Candidates)-maxNamed))
			break
		}
		names = append(names, cand.String())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Action(), strings.Join(names, ", "))
	if len(c.Replacements) > 0 {
		with := make([]string, len(c.Replacements))
		for i, r := range c.Replacements {
			with[i] = fmt.Sprintf("%s/%s in %s", r.InstanceType, r.CapacityType, r.Zone)
		}
		fmt.Fprintf(&b, " with %s", strings.Join(with, ", "))
	}
	fmt.Fprintf(&b, ", %s; %s", SavingsPhrase(c.Savings()), PodsMove(c.Pods()))
	return b.String()
}

// PodsMove says how many pods a command moves, the verb agreeing: "1 pod moves", "3 pods move".
func PodsMove(n int) string {
	if n == 1 {
		return "1 pod moves"
	}
	return fmt.Sprintf("%d pods move", n)
}

// maxNamed is how many candidates a command's description names.
const maxNamed = 5

// SavingsPhrase says what an hourly saving is: "saving $0.1200/h", or "costing $0.0300/h more" when negative.
func SavingsPhrase(s float64) string {
	if s < 0 {
		return fmt.Sprintf("costing $%.4f/h more", -s)
	}
	return fmt.Sprintf("saving $%.4f/h", s)
}

// Verdict is what consolidation makes of a node: the Consolidatable condition's status, reason and message.
type Verdict struct {
	// Consolidatable is true when consolidation would remove or replace the node now.
	Consolidatable bool
	// Reason is a Reason* constant.
	Reason string
	// Message says what would happen, or what stops it and how to change that.
	Message string
	// SavingsBlocked is what consolidating the node would save per hour were it not for Reason; 0 when unknown
	// or when nothing blocks it.
	SavingsBlocked float64
}

// Verdict reasons: the first two say what consolidation would do, the others what stops it.
const (
	ReasonDelete                     = "Delete"
	ReasonReplace                    = "Replace"
	ReasonDoNotDisrupt               = "DoNotDisrupt"
	ReasonPDBBlocked                 = "PDBBlocked"
	ReasonBudgetExhausted            = "BudgetExhausted"
	ReasonNoCheaperReplacement       = "NoCheaperReplacement"
	ReasonPodsWouldNotFit            = "PodsWouldNotFit"
	ReasonConsolidateAfterNotElapsed = "ConsolidateAfterNotElapsed"
	ReasonNotInitialized             = "NotInitialized"
	ReasonBelowSavingsThreshold      = "BelowSavingsThreshold"
	ReasonPolicyWhenEmpty            = "PolicyWhenEmpty"
)

// Result is what a pass decided.
type Result struct {
	// Commands are the commands chosen, at most one per method, in the order of Methods. The controller
	// executes them in that order, each within the budgets left by the ones before.
	Commands []*Command
	// Verdicts are by NodeClaim name (node name for a node without a claim), for every candidate the pass
	// judged; a candidate a deadline left unjudged has none.
	Verdicts map[string]Verdict
	// Candidates are every node the pass considered, by node name.
	Candidates map[string]*Candidate
	// Simulations counts the solver runs the pass made, what its time mostly goes to: a figure for metrics
	// and benchmarks.
	Simulations int
}
