package provisioning

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/solver"
)

// createNodeClaims writes a NodeClaim for each new node of the plan, a few at a time, and nominates its pods to
// it. A claim that cannot be created leaves its pods provisionable for the next batch.
func (c *Controller) createNodeClaims(ctx context.Context, plan *solver.Plan, solved []*solver.NodePool, pods map[types.NamespacedName]*corev1.Pod) ([]*v1.NodeClaim, error) {
	pools := make(map[string]*poolTypes, len(solved))
	for _, np := range solved {
		pt := &poolTypes{pool: np.NodePool, types: make(map[string]*cloudprovider.InstanceType, len(np.InstanceTypes))}
		for _, it := range np.InstanceTypes {
			pt.types[it.Name] = it
		}
		pools[np.NodePool.Name] = pt
	}
	var (
		mu      sync.Mutex
		created []*v1.NodeClaim
		errs    []error
		wg      sync.WaitGroup
	)
	work := make(chan *solver.NewNodeClaim)
	for range min(c.opts.CreateWorkers, len(plan.NewNodeClaims)) {
		wg.Go(func() {
			for planned := range work {
				claim, err := c.createNodeClaim(ctx, pools[planned.NodePool], planned)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					created = append(created, claim)
				}
				mu.Unlock()
				if err == nil {
					c.nominated(pods, planned.Pods, "NodeClaim", claim.Name)
				}
			}
		})
	}
	for _, planned := range plan.NewNodeClaims {
		work <- planned
	}
	close(work)
	wg.Wait()
	slices.SortFunc(created, func(a, b *v1.NodeClaim) int { return cmp.Compare(a.Name, b.Name) })
	return created, errors.Join(errs...)
}

// poolTypes is a pool solved for, with its instance types by name.
type poolTypes struct {
	pool  *v1.NodePool
	types map[string]*cloudprovider.InstanceType
}

// createNodeClaim records the intent to launch: the lifecycle controller launches it. The model learns of the
// claim and its nominations at once, so the next batch neither waits for the cache nor provides for the pods
// again.
func (c *Controller) createNodeClaim(ctx context.Context, pt *poolTypes, planned *solver.NewNodeClaim) (*v1.NodeClaim, error) {
	if pt == nil {
		return nil, fmt.Errorf("planning a nodeclaim for nodepool %s: the nodepool is not among those solved for", planned.NodePool)
	}
	np := pt.pool
	claim := NodeClaim(np, planned, pt.types)
	if err := c.deps.Client.Create(ctx, claim); err != nil {
		return nil, fmt.Errorf("creating nodeclaim for nodepool %s: %w", np.Name, err)
	}
	c.deps.Cluster.UpdateNodeClaim(claim)
	c.deps.Cluster.Nominate(claim.Name, planned.Pods...)
	c.metrics.nodeClaimsCreated.WithLabelValues(np.Name).Inc()
	return claim, nil
}

// NodeClaim is the claim for a planned node: named after its pool, labelled as the plan says and with the pool,
// its requirements the plan's narrowed to the instance types the plan allows (cheapest first; types are the
// pool's instance types by name), and everything else from the pool's template. The pool owns it, so deleting a pool deletes its claims (and so drains its
// nodes) through garbage collection.
func NodeClaim(np *v1.NodePool, planned *solver.NewNodeClaim, types map[string]*cloudprovider.InstanceType) *v1.NodeClaim {
	labels := maps.Clone(planned.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[v1.NodePoolLabelKey] = np.Name
	tmpl := np.Spec.Template
	annotations := map[string]string{}
	maps.Copy(annotations, tmpl.ObjectMeta.Annotations)
	// The pool's hash, stamped last so a template cannot override it, tells drift which template made the claim.
	annotations[v1.NodePoolHashAnnotationKey], annotations[v1.NodePoolHashVersionAnnotationKey] = np.Hash(), v1.NodePoolHashVersion
	yes := true
	return &v1.NodeClaim{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: np.Name + "-",
			Labels:       labels,
			Annotations:  annotations,
			Finalizers:   []string{v1.TerminationFinalizer},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1.SchemeGroupVersion.String(), Kind: "NodePool", Name: np.Name, UID: np.UID, BlockOwnerDeletion: &yes,
			}},
		},
		Spec: v1.NodeClaimSpec{
			Taints:                 slices.Clone(tmpl.Spec.Taints),
			StartupTaints:          slices.Clone(tmpl.Spec.StartupTaints),
			Requirements:           requirements(np, planned, types),
			Resources:              v1.ResourceRequirements{Requests: planned.Requests},
			NodeClassRef:           tmpl.Spec.NodeClassRef,
			TerminationGracePeriod: tmpl.Spec.TerminationGracePeriod,
			ExpireAfter:            tmpl.Spec.ExpireAfter,
		},
	}
}

// requirements renders the plan's requirements, keeping the pool's minValues, narrowed to the plan's instance
// type options: the instance type is In the options, cheapest first, and a label the instance types define
// (cpu, family, ...) is In the values the options have, rather than pinned to the cheapest option's value,
// so the launcher can fall back on any option. Zone and capacity type stay as planned: the offering pins them.
func requirements(np *v1.NodePool, planned *solver.NewNodeClaim, types map[string]*cloudprovider.InstanceType) []v1.NodeSelectorRequirementWithMinValues {
	minValues := map[string]*int{}
	for _, r := range np.Spec.Template.Spec.Requirements {
		if r.MinValues != nil {
			minValues[r.Key] = r.MinValues
		}
	}
	options := make([]string, 0, len(planned.InstanceTypeOptions))
	for _, o := range planned.InstanceTypeOptions {
		options = append(options, o.Name)
	}
	if len(options) == 0 {
		options = []string{planned.InstanceType}
	}
	var out []v1.NodeSelectorRequirementWithMinValues
	for _, key := range planned.Requirements.Keys() {
		r := planned.Requirements[key]
		mv := r.MinValues
		if mv == nil {
			mv = minValues[key]
		}
		switch {
		case key == corev1.LabelInstanceTypeStable:
			continue
		case definedByType(key, types[planned.InstanceType]):
			values, ok := optionValues(key, options, types)
			if !ok {
				continue // the instance-type requirement narrows it already
			}
			out = append(out, v1.NodeSelectorRequirementWithMinValues{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values, MinValues: mv})
		default:
			nsr := r.NodeSelectorRequirement()
			out = append(out, v1.NodeSelectorRequirementWithMinValues{Key: nsr.Key, Operator: nsr.Operator, Values: nsr.Values, MinValues: mv})
		}
	}
	return append(out, v1.NodeSelectorRequirementWithMinValues{
		Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: options, MinValues: minValues[corev1.LabelInstanceTypeStable],
	})
}

// definedByType reports whether key is a label the instance type sets, other than the zone and capacity type
// its offering decides.
func definedByType(key string, it *cloudprovider.InstanceType) bool {
	if it == nil || key == corev1.LabelTopologyZone || key == v1.CapacityTypeLabelKey {
		return false
	}
	_, ok := it.Requirements[key]
	return ok
}

// optionValues are the values of key across the options, sorted; false when an option is unknown or does not
// set the key to one value.
func optionValues(key string, options []string, types map[string]*cloudprovider.InstanceType) ([]string, bool) {
	seen := map[string]bool{}
	for _, name := range options {
		it := types[name]
		if it == nil {
			return nil, false
		}
		r, ok := it.Requirements[key]
		if !ok || r.Operator() != corev1.NodeSelectorOpIn || r.Len() != 1 {
			return nil, false
		}
		v, _ := r.Any()
		seen[v] = true
	}
	values := make([]string, 0, len(seen))
	for v := range seen {
		values = append(values, v)
	}
	slices.Sort(values)
	return values, true
}
