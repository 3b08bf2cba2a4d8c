package disruption

import (
	"fmt"
	"strconv"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// maxReplacements is how many new nodes a consolidation of the candidates may launch: none when any of their
// pools consolidates in DeleteOnly mode, else perCommand.
func maxReplacements(cands []*Candidate, perCommand int) int {
	for _, c := range cands {
		if c.NodePool.Spec.Disruption.Consolidation.Mode == v1.ConsolidationModeDeleteOnly {
			return 0
		}
	}
	return perCommand
}

// judge checks that a consolidation command is worth it: its replacements cost less than the candidates, a
// spot node is replaced by spot only with enough cheaper choices, and the savings clear every candidate
// pool's threshold. It narrows each replacement's instance-type options to those that keep it cheaper, so a
// launch that falls back on a pricier type cannot erase the saving.
func (c *cluster) judge(cmd *Command) *block {
	price := cmd.PricePerHour()
	if len(cmd.Replacements) > 0 {
		if b := c.judgeReplacements(cmd, price); b != nil {
			return b
		}
	}
	return thresholds(cmd)
}

func (c *cluster) judgeReplacements(cmd *Command, price float64) *block {
	if maxReplacements(cmd.Candidates, len(cmd.Replacements)) == 0 {
		return &block{reason: ReasonNoCheaperReplacement, message: fmt.Sprintf(
			"its pods fit only if a new node (%s) is launched, and NodePool %s consolidates in DeleteOnly mode (spec.disruption.consolidation.mode)",
			cmd.Replacements[0].InstanceType, deleteOnlyPool(cmd.Candidates))}
	}
	if price <= 0 {
		return &block{reason: ReasonNoCheaperReplacement, message: fmt.Sprintf(
			"its price is unknown (instance type %s is not offered by its NodePool any more), so no replacement can be shown to be cheaper",
			cmd.Candidates[0].InstanceType)}
	}
	replacing := cmd.ReplacementPricePerHour()
	if replacing >= price {
		r := cmd.Replacements[0]
		return &block{reason: ReasonNoCheaperReplacement, message: fmt.Sprintf(
			"the cheapest nodes that hold its pods (%s/%s at $%.4f/h in all) cost no less than the $%.4f/h it costs now",
			r.InstanceType, r.CapacityType, replacing, price)}
	}
	allSpot := true
	for _, cand := range cmd.Candidates {
		allSpot = allSpot && cand.CapacityType == v1.CapacityTypeSpot
	}
	for _, r := range cmd.Replacements {
		// Every option must keep the command saving, whichever the launcher ends up with.
		ceiling := price - (replacing - r.PricePerHour)
		kept := r.InstanceTypeOptions[:0:0]
		for _, o := range r.InstanceTypeOptions {
			if o.PricePerHour < ceiling {
				kept = append(kept, o)
			}
		}
		r.InstanceTypeOptions = kept
		if allSpot && r.CapacityType == v1.CapacityTypeSpot {
			if !c.in.Options.SpotToSpotConsolidation {
				return &block{reason: ReasonNoCheaperReplacement, message: fmt.Sprintf(
					"a cheaper spot node (%s) would hold its pods, but replacing spot with spot needs the SpotToSpotConsolidation feature gate (the controller's --feature-gates, or plan's --spot-to-spot)",
					r.InstanceType)}
			}
			if need := c.in.Options.MinSpotReplacementOptions; len(kept) < need {
				return &block{reason: ReasonNoCheaperReplacement, message: fmt.Sprintf(
					"only %d cheaper spot instance types hold its pods; spot-to-spot replacement needs %d, so that the replacement is not the most interruptible choice",
					len(kept), need)}
			}
		}
	}
	return nil
}

func deleteOnlyPool(cands []*Candidate) string {
	for _, c := range cands {
		if c.NodePool.Spec.Disruption.Consolidation.Mode == v1.ConsolidationModeDeleteOnly {
			return c.NodePool.Name
		}
	}
	return ""
}

// thresholds checks the savings against each candidate pool's spec.disruption.consolidation.minSavings.
func thresholds(cmd *Command) *block {
	savings, price, pods := cmd.Savings(), cmd.PricePerHour(), cmd.Pods()
	seen := map[string]bool{}
	for _, cand := range cmd.Candidates {
		np := cand.NodePool
		min := np.Spec.Disruption.Consolidation.MinSavings
		if min == nil || seen[np.Name] {
			continue
		}
		seen[np.Name] = true
		if min.PerPodPerHour != nil && pods > 0 {
			want, err := strconv.ParseFloat(*min.PerPodPerHour, 64)
			if err == nil && savings/float64(pods) < want {
				return &block{reason: ReasonBelowSavingsThreshold, message: fmt.Sprintf(
					"it would save $%.4f/h for %d pods moved ($%.5f per pod), under NodePool %s's spec.disruption.consolidation.minSavings.perPodPerHour of $%s",
					savings, pods, savings/float64(pods), np.Name, *min.PerPodPerHour)}
			}
		}
		if min.Percent != nil && price > 0 && savings/price*100 < float64(*min.Percent) {
			return &block{reason: ReasonBelowSavingsThreshold, message: fmt.Sprintf(
				"it would save %.1f%% of $%.4f/h, under NodePool %s's spec.disruption.consolidation.minSavings.percent of %d%%",
				savings/price*100, price, np.Name, *min.Percent)}
		}
	}
	return nil
}
