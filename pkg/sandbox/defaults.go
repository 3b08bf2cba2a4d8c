package sandbox

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	"github.com/stevedore-dev/stevedore/pkg/apis/crds"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// DefaultName names the EC2NodeClass and the NodePool the sandbox creates.
const DefaultName = "default"

// ClusterName is the cluster the sandbox's controller runs as and the simulator tags its network with.
const ClusterName = "sandbox"

// installCRDs creates or updates Stevedore's CRDs and waits until the API serves them, since the controller reads
// discovery as it starts and the defaults are created right after.
func installCRDs(ctx context.Context, c client.Client) error {
	defs, err := crds.CRDs()
	if err != nil {
		return err
	}
	for _, crd := range defs {
		existing := &apiextensionsv1.CustomResourceDefinition{}
		err := c.Get(ctx, client.ObjectKeyFromObject(crd), existing)
		switch {
		case apierrors.IsNotFound(err):
			err = c.Create(ctx, crd)
		case err == nil:
			// A state directory from an older build keeps its CRDs; bring them up to this binary's types.
			crd.ResourceVersion = existing.ResourceVersion
			err = c.Update(ctx, crd)
		}
		if err != nil {
			return fmt.Errorf("installing CRD %s: %w", crd.Name, err)
		}
	}
	for _, crd := range defs {
		name := crd.Name
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, client.ObjectKey{Name: name}, got); err != nil {
				return false, err
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be established: %w", name, err)
		}
	}
	return nil
}

// defaultNodeClass finds the simulator's subnets and security group by the cluster's discovery tag and uses the
// role the simulator creates for the cluster.
func defaultNodeClass() *awsv1.EC2NodeClass {
	tags := map[string]string{"stevedore.dev/discovery": ClusterName}
	return &awsv1.EC2NodeClass{
		ObjectMeta: metav1.ObjectMeta{Name: DefaultName},
		Spec: awsv1.EC2NodeClassSpec{
			SubnetSelectorTerms:        []awsv1.SubnetSelectorTerm{{Tags: tags}},
			SecurityGroupSelectorTerms: []awsv1.SecurityGroupSelectorTerm{{Tags: tags}},
			AMISelectorTerms:           []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}},
			Role:                       "StevedoreNodeRole-" + ClusterName,
		},
	}
}

// defaultNodePool lets the controller choose among on-demand and spot, both architectures, in every zone, which
// is the widest choice the simulator offers and shows the solver at work, and consolidates after 30 s.
func defaultNodePool(zones []string) *v1.NodePool {
	req := func(key string, values ...string) v1.NodeSelectorRequirementWithMinValues {
		return v1.NodeSelectorRequirementWithMinValues{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}
	}
	return &v1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: DefaultName},
		Spec: v1.NodePoolSpec{
			Template: v1.NodeClaimTemplate{Spec: v1.NodeClaimTemplateSpec{
				NodeClassRef: &v1.NodeClassReference{Group: awsv1.Group, Kind: "EC2NodeClass", Name: DefaultName},
				Requirements: []v1.NodeSelectorRequirementWithMinValues{
					req(v1.CapacityTypeLabelKey, v1.CapacityTypeOnDemand, v1.CapacityTypeSpot),
					req(corev1.LabelArchStable, "amd64", "arm64"),
					req(corev1.LabelTopologyZone, zones...),
				},
			}},
			// Half the pool may be disrupted at once, so a scale-down consolidates within a minute or two instead
			// of one node per command under the API's default of 10%.
			Disruption: v1.Disruption{
				ConsolidateAfter: v1.MustParseNillableDuration("30s"),
				Budgets:          []v1.Budget{{Nodes: "50%"}},
			},
		},
	}
}

// applyDefaults creates the default EC2NodeClass and NodePool unless they exist: a user's edits to them in a
// reused state directory survive a restart.
func applyDefaults(ctx context.Context, c client.Client, zones []string) error {
	for _, obj := range []client.Object{defaultNodeClass(), defaultNodePool(zones)} {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return nil
}

// waitNodeClassReady waits until the controller reports the default EC2NodeClass Ready, the sign that it has
// resolved the simulator's subnets, security group, images and role and can launch for pending pods.
func waitNodeClassReady(ctx context.Context, c client.Client) error {
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		nc := &awsv1.EC2NodeClass{}
		if err := c.Get(ctx, client.ObjectKey{Name: DefaultName}, nc); err != nil {
			// Deleted by the user, perhaps: the sandbox still runs, it just has nothing to wait for.
			return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
		}
		return meta.IsStatusConditionTrue(nc.Status.Conditions, conditions.Ready), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for EC2NodeClass %s to be ready: %w", DefaultName, err)
	}
	return nil
}
