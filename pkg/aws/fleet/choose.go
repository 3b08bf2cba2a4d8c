package fleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// MaxInstanceTypes is the most instance types a launch offers EC2.
const MaxInstanceTypes = 60

// Candidate is one (instance type, zone) EC2 may fill the launch with, at a price.
type Candidate struct {
	InstanceType string
	Zone         string
	Price        float64
}

// Choice is what to ask EC2 Fleet for.
type Choice struct {
	// CapacityType is reserved, spot or on-demand.
	CapacityType string
	// Candidates are cheapest first; EC2 is told to prefer them in that order.
	Candidates []Candidate
}

// Choose decides the capacity type and candidates for a NodeClaim. Instance types must satisfy the claim's
// requirements and hold its requests; GPU, accelerator and bare-metal types are only used when the claim
// asks for them (by requirement or by requesting an accelerator resource), since they are dear fallbacks for
// ordinary pods. The capacity type is reserved if offered, else spot if the claim allows it and some spot
// offering is cheaper than on-demand for its type, else on-demand. At most MaxInstanceTypes types are kept,
// more when a minValues requirement needs them. It returns an InsufficientCapacityError when types fit but
// none of their offerings is available, and a plain, retryable error when no type fits at all.
func Choose(claim *v1.NodeClaim, types []*cloudprovider.InstanceType) (Choice, error) {
	reqs := scheduling.FromNodePoolRequirements(claim.Spec.Requirements...)
	requests := claim.Spec.Resources.Requests
	special := asksForSpecialHardware(reqs, requests)
	var fitting []*cloudprovider.InstanceType
	for _, it := range types {
		if reqs.Compatible(it.Requirements, func(key string) bool { return !instancetype.WellKnown(key) }) != nil || !fits(it.Available(), requests) {
			continue
		}
		if !special && isSpecial(it) {
			continue
		}
		fitting = append(fitting, it)
	}
	if len(fitting) == 0 {
		// Nothing the claim names fits at all: not a shortage of capacity, which deleting the claim would
		// answer, but instance-type data not loaded yet (a controller just restarted reads the embedded catalog
		// and has no spot prices) or types withdrawn. Launch is retried; the registration TTL bounds it.
		return Choice{}, fmt.Errorf("none of the instance types known now fits the nodeclaim's requirements %s and requests; retrying until instance-type data is refreshed", reqs)
	}
	for _, ct := range []string{v1.CapacityTypeReserved, v1.CapacityTypeSpot, v1.CapacityTypeOnDemand} {
		candidates := candidatesFor(ct, fitting, reqs)
		if len(candidates) > 0 {
			return Choice{CapacityType: ct, Candidates: candidates}, nil
		}
	}
	return Choice{}, cloudprovider.NewInsufficientCapacityError(fmt.Errorf("no available offering of %d compatible instance types satisfies %s", len(fitting), reqs))
}

// candidatesFor lists the offerings of one capacity type, cheapest first; spot offerings dearer than the
// type's on-demand price are dropped (on-demand would be cheaper and steadier).
func candidatesFor(capacityType string, types []*cloudprovider.InstanceType, reqs scheduling.Requirements) []Candidate {
	zone := reqs.Get(corev1.LabelTopologyZone)
	if !reqs.Get(v1.CapacityTypeLabelKey).Has(capacityType) {
		return nil
	}
	type typed struct {
		Candidate
		it *cloudprovider.InstanceType
	}
	var all []typed
	for _, it := range types {
		onDemand, hasOnDemand := cheapest(it, v1.CapacityTypeOnDemand)
		for _, o := range it.Offerings.Available() {
			if o.CapacityType != capacityType || !zone.Has(o.Zone) {
				continue
			}
			if capacityType == v1.CapacityTypeSpot && hasOnDemand && o.Price >= onDemand {
				continue
			}
			all = append(all, typed{Candidate{InstanceType: it.Name, Zone: o.Zone, Price: o.Price}, it})
		}
	}
	slices.SortFunc(all, func(a, b typed) int {
		return cmp.Or(cmp.Compare(a.Price, b.Price), cmp.Compare(a.InstanceType, b.InstanceType), cmp.Compare(a.Zone, b.Zone))
	})
	// Keep the cheapest MaxInstanceTypes types (all their zones), then more while a minValues requirement is
	// short of distinct values.
	kept := map[string]*cloudprovider.InstanceType{}
	var out []Candidate
	for _, c := range all {
		if _, ok := kept[c.InstanceType]; !ok {
			if len(kept) >= MaxInstanceTypes && !widensMinValues(reqs, kept, c.it) {
				continue
			}
			kept[c.InstanceType] = c.it
		}
		out = append(out, c.Candidate)
	}
	return out
}

// widensMinValues reports whether adding it would bring a minValues requirement that the kept types fall
// short of one value closer.
func widensMinValues(reqs scheduling.Requirements, kept map[string]*cloudprovider.InstanceType, it *cloudprovider.InstanceType) bool {
	for key, r := range reqs {
		if r.MinValues == nil {
			continue
		}
		values := map[string]bool{}
		for _, k := range kept {
			values[k.Requirements.Labels()[key]] = true
		}
		if len(values) < *r.MinValues && !values[it.Requirements.Labels()[key]] {
			return true
		}
	}
	return false
}

func cheapest(it *cloudprovider.InstanceType, capacityType string) (float64, bool) {
	best, ok := 0.0, false
	for _, o := range it.Offerings {
		if o.CapacityType == capacityType && (!ok || o.Price < best) {
			best, ok = o.Price, true
		}
	}
	return best, ok
}

func fits(available, requests corev1.ResourceList) bool {
	for name, q := range requests {
		have, ok := available[name]
		if !ok || have.Cmp(q) < 0 {
			return false
		}
	}
	return true
}

// asksForSpecialHardware reports whether the claim wants GPUs, accelerators or bare metal.
func asksForSpecialHardware(reqs scheduling.Requirements, requests corev1.ResourceList) bool {
	for name := range requests {
		if strings.Contains(string(name), "gpu") || strings.Contains(string(name), "neuron") {
			return true
		}
	}
	for _, key := range []string{awsv1.LabelInstanceGPUName, awsv1.LabelInstanceGPUManufacturer, awsv1.LabelInstanceGPUCount,
		awsv1.LabelInstanceGPUMemory, awsv1.LabelInstanceAcceleratorName, awsv1.LabelInstanceAcceleratorMfr, awsv1.LabelInstanceAcceleratorCnt} {
		if r, ok := reqs[key]; ok && !r.AllowsAbsent() {
			return true
		}
	}
	if r, ok := reqs[awsv1.LabelInstanceSize]; ok && r.Len() < 1000 {
		for _, v := range r.Values() {
			if strings.Contains(v, "metal") {
				return true
			}
		}
	}
	return false
}

// isSpecial reports whether a type has GPUs or accelerators, or is bare metal.
func isSpecial(it *cloudprovider.InstanceType) bool {
	labels := it.Requirements.Labels()
	_, gpu := labels[awsv1.LabelInstanceGPUCount]
	_, accelerator := labels[awsv1.LabelInstanceAcceleratorCnt]
	return gpu || accelerator || strings.Contains(labels[awsv1.LabelInstanceSize], "metal")
}
