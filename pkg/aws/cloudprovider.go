package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/ami"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/launchtemplate"
	"github.com/stevedore-dev/stevedore/pkg/aws/network"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/aws/userdata"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/manifest"
	"github.com/stevedore-dev/stevedore/pkg/scheduling"
)

// Drift reasons IsDrifted reports.
const (
	DriftAMI            cloudprovider.DriftReason = "AMIDrift"
	DriftSubnet         cloudprovider.DriftReason = "SubnetDrift"
	DriftSecurityGroups cloudprovider.DriftReason = "SecurityGroupDrift"
	DriftNodeClass      cloudprovider.DriftReason = "NodeClassDrift"
)

var _ cloudprovider.CloudProvider = (*CloudProvider)(nil)

// Cluster is what nodes need to join the cluster.
type Cluster struct {
	// Name of the cluster; resources are tagged with it.
	Name string
	// Endpoint is the API server URL nodes join; CA its certificate authority bundle (PEM).
	Endpoint string
	CA       []byte
	// ServiceCIDR is the cluster's service network, from which nodes derive the cluster DNS address.
	ServiceCIDR string
}

// CloudProvider launches NodeClaims as EC2 instances. It holds no state of its own: each concern lives in its
// own package (instance, instancetype, launchtemplate, network, nodeclass), and this type only composes them.
type CloudProvider struct {
	kube          client.Client
	cluster       Cluster
	instances     *instance.Provider
	instanceTypes *instancetype.Provider
	subnets       *network.Provider
	templates     *launchtemplate.Provider
}

// Dependencies are the parts a CloudProvider composes.
type Dependencies struct {
	Kube          client.Client
	Cluster       Cluster
	Instances     *instance.Provider
	InstanceTypes *instancetype.Provider
	Subnets       *network.Provider
	Templates     *launchtemplate.Provider
}

// NewCloudProvider returns a CloudProvider over its dependencies.
func NewCloudProvider(d Dependencies) *CloudProvider {
	return &CloudProvider{kube: d.Kube, cluster: d.Cluster, instances: d.Instances, instanceTypes: d.InstanceTypes, subnets: d.Subnets, templates: d.Templates}
}

// Name is "aws".
func (c *CloudProvider) Name() string { return "aws" }

// Create launches an instance for the NodeClaim: the cheapest capacity type its requirements allow, over at most
// 60 of the instance types that fit it, in the roomiest subnet of each zone, with one launch template per
// distinct image and kubelet configuration. A claim that already has an instance (a retry after a crash between
// the launch and recording it) gets that instance back instead of a second one.
func (c *CloudProvider) Create(ctx context.Context, claim *v1.NodeClaim) (*v1.NodeClaim, error) {
	nc, err := c.nodeClass(ctx, claim.Spec.NodeClassRef)
	if err != nil {
		return nil, err
	}
	if err := nodeclass.Ready(nc); err != nil {
		return nil, err
	}
	if existing, err := c.instances.FindByNodeClaim(ctx, claim.Name); err != nil {
		return nil, fmt.Errorf("looking for an instance already launched for the nodeclaim: %w", err)
	} else if existing != nil {
		// The instance was launched for this claim moments ago, from this class: stamp the class's hash as
		// a fresh launch would, or the adopted node could never be found drifted by its spec.
		out, err := c.toNodeClaim(ctx, existing, nc, nil)
		if err != nil {
			return nil, err
		}
		return withHash(out, nc), nil
	}
	pool, err := c.nodePool(ctx, claim.Labels[v1.NodePoolLabelKey])
	if err != nil {
		return nil, err
	}
	types, err := c.resolveInstanceTypes(ctx, nc, pool)
	if err != nil {
		return nil, err
	}
	choice, err := fleet.Choose(claim, types)
	if err != nil {
		return nil, err
	}
	subnets, err := c.subnets.Subnets(ctx, nc)
	if err != nil {
		return nil, fmt.Errorf("listing subnets: %w", err)
	}
	overrides, err := fleet.Overrides(choice, fleetSubnets(subnets))
	if err != nil {
		return nil, err
	}
	byName := map[string]*cloudprovider.InstanceType{}
	for _, it := range types {
		byName[it.Name] = it
	}
	overrides, images, err := c.withTemplates(ctx, nc, claim, choice.CapacityType, overrides, byName)
	if err != nil {
		return nil, err
	}
	launch := instance.Launch{
		NodeClaim: claim.Name, NodePool: claim.Labels[v1.NodePoolLabelKey], NodeClass: nc.Name,
		CapacityType: choice.CapacityType, Strategy: fleet.Strategy(nc, choice.CapacityType),
		Overrides: overrides, Tags: nc.Spec.Tags, ClientToken: string(claim.UID),
	}
	launched, err := c.instances.Launch(ctx, launch)
	if err != nil {
		return nil, err
	}
	// CreateFleet answers with the instance's ID, type and zone only; the image and tags it was launched with
	// are known here, and the claim must say which image the node boots (drift is judged by it).
	launched.ImageID = images[launched.Type]
	launched.Tags = c.instances.Tags(launch)
	out, err := c.toNodeClaim(ctx, launched, nc, types)
	if err != nil {
		return nil, err
	}
	return withHash(out, nc), nil
}

// withHash stamps the claim with the hash of the node class it was launched from, for IsDrifted.
func withHash(claim *v1.NodeClaim, nc *awsv1.EC2NodeClass) *v1.NodeClaim {
	if claim.Annotations == nil {
		claim.Annotations = map[string]string{}
	}
	claim.Annotations[awsv1.AnnotationEC2NodeClassHash] = nodeclass.Hash(nc)
	claim.Annotations[awsv1.AnnotationEC2NodeClassHashVersion] = awsv1.EC2NodeClassHashVersion
	return claim
}

func fleetSubnets(subnets []network.Subnet) []fleet.Subnet {
	out := make([]fleet.Subnet, len(subnets))
	for i, s := range subnets {
		out[i] = s.Fleet()
	}
	return out
}

// withTemplates names the launch template of every override, dropping instance types no resolved image can
// boot, and returns the image each remaining instance type boots. Types sharing an image and kubelet settings
// share a template.
func (c *CloudProvider) withTemplates(ctx context.Context, nc *awsv1.EC2NodeClass, claim *v1.NodeClaim, capacityType string,
	overrides []fleet.Override, types map[string]*cloudprovider.InstanceType) ([]fleet.Override, map[string]string, error) {
	templateOf, imageOf := map[string]string{}, map[string]string{}
	var out []fleet.Override
	var errs []error
	for _, o := range overrides {
		name, ok := templateOf[o.InstanceType]
		if !ok {
			it := types[o.InstanceType]
			image, found := imageFor(nc, it)
			if !found {
				templateOf[o.InstanceType] = ""
				continue
			}
			var err error
			name, err = c.templates.Ensure(ctx, launchtemplate.Spec{
				NodeClass: nc, ImageID: image, Family: ami.Family(nc), Node: c.node(nc, claim, capacityType, it),
			})
			if err != nil {
				errs = append(errs, err)
				templateOf[o.InstanceType] = ""
				continue
			}
			templateOf[o.InstanceType] = name
			imageOf[o.InstanceType] = image
		}
		if name == "" {
			continue
		}
		o.LaunchTemplate = name
		out = append(out, o)
	}
	if len(out) == 0 {
		if len(errs) > 0 {
			return nil, nil, fmt.Errorf("preparing launch templates: %w", errors.Join(errs...))
		}
		return nil, nil, cloudprovider.NewInsufficientCapacityError(errors.New("no resolved image of the node class can boot the instance types that fit"))
	}
	return out, imageOf, nil
}

// imageFor returns the first image of the node class (newest first, deprecated last) that the instance type can
// boot.
func imageFor(nc *awsv1.EC2NodeClass, it *cloudprovider.InstanceType) (string, bool) {
	for _, ami := range nc.Status.AMIs {
		if scheduling.FromNodeSelectorRequirements(ami.Requirements...).Compatible(it.Requirements, nil) == nil {
			return ami.ID, true
		}
	}
	return "", false
}

// node is the user data input for one instance type: kubelet settings from the type's model, and the labels
// and taints every node of the claim registers with. Labels that differ between instance types are left to
// the lifecycle controller, so that types with the same kubelet settings share a launch template.
func (c *CloudProvider) node(nc *awsv1.EC2NodeClass, claim *v1.NodeClaim, capacityType string, it *cloudprovider.InstanceType) userdata.Node {
	labels := map[string]string{}
	for k, v := range claim.Labels {
		if !instancetype.WellKnown(k) {
			labels[k] = v
		}
	}
	labels[v1.CapacityTypeLabelKey] = capacityType
	taints := append(v1.CoreTaints(claim.Spec.Taints), v1.CoreTaints(claim.Spec.StartupTaints)...)
	taints = append(taints, corev1.Taint{Key: v1.UnregisteredTaintKey, Effect: corev1.TaintEffectNoExecute})
	n := userdata.Node{
		ClusterName: c.cluster.Name, ClusterEndpoint: c.cluster.Endpoint, ClusterCA: c.cluster.CA, ServiceCIDR: c.cluster.ServiceCIDR,
		MaxPods:        it.Capacity.Pods().Value(),
		KubeReserved:   quantities(it.Overhead.KubeReserved),
		SystemReserved: quantities(it.Overhead.SystemReserved),
		Labels:         labels, Taints: taints,
	}
	if k := nc.Spec.Kubelet; k != nil {
		n.ClusterDNS = k.ClusterDNS
		if len(k.EvictionHard) > 0 {
			n.EvictionHard = map[string]string{}
			for signal, threshold := range k.EvictionHard {
				n.EvictionHard[signal] = string(threshold)
			}
		}
	}
	if nc.Spec.UserData != nil {
		n.Custom = *nc.Spec.UserData
	}
	return n
}

func quantities(rl corev1.ResourceList) map[string]string {
	if len(rl) == 0 {
		return nil
	}
	out := map[string]string{}
	for name, q := range rl {
		out[string(name)] = q.String()
	}
	return out
}

// Delete terminates the claim's instance; a NodeClaimNotFoundError once it is gone.
func (c *CloudProvider) Delete(ctx context.Context, claim *v1.NodeClaim) error {
	id, err := instance.ParseProviderID(claim.Status.ProviderID)
	if err != nil {
		return fmt.Errorf("deleting nodeclaim %s: %w", claim.Name, err)
	}
	return c.instances.Delete(ctx, id)
}

// Get returns the instance with the provider ID as a NodeClaim.
func (c *CloudProvider) Get(ctx context.Context, providerID string) (*v1.NodeClaim, error) {
	id, err := instance.ParseProviderID(providerID)
	if err != nil {
		return nil, err
	}
	inst, err := c.instances.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.toNodeClaim(ctx, inst, nil, nil)
}

// List returns every live instance tagged for the cluster.
func (c *CloudProvider) List(ctx context.Context) ([]*v1.NodeClaim, error) {
	instances, err := c.instances.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*v1.NodeClaim, 0, len(instances))
	for _, inst := range instances {
		claim, err := c.toNodeClaim(ctx, inst, nil, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, claim)
	}
	return out, nil
}

// InstanceTypes returns what the NodePool may launch under its node class.
func (c *CloudProvider) InstanceTypes(ctx context.Context, pool *v1.NodePool) ([]*cloudprovider.InstanceType, error) {
	nc, err := c.nodeClass(ctx, pool.Spec.Template.Spec.NodeClassRef)
	if err != nil {
		return nil, err
	}
	return c.resolveInstanceTypes(ctx, nc, pool)
}

// IsDrifted compares the claim's instance with its node class: image, subnet and security groups against
// what the class resolves to now, and the class's spec hash against the one stamped at launch.
func (c *CloudProvider) IsDrifted(ctx context.Context, claim *v1.NodeClaim) (cloudprovider.DriftReason, error) {
	nc, err := c.nodeClass(ctx, claim.Spec.NodeClassRef)
	if err != nil {
		return "", err
	}
	if h, ok := claim.Annotations[awsv1.AnnotationEC2NodeClassHash]; ok &&
		claim.Annotations[awsv1.AnnotationEC2NodeClassHashVersion] == awsv1.EC2NodeClassHashVersion && h != nodeclass.Hash(nc) {
		return DriftNodeClass, nil
	}
	if nodeclass.Ready(nc) != nil {
		return "", nil // what it resolves to is unknown; don't replace nodes on a guess
	}
	id, err := instance.ParseProviderID(claim.Status.ProviderID)
	if err != nil {
		return "", err
	}
	inst, err := c.instances.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(nc.Status.AMIs, func(a awsv1.AMI) bool { return a.ID == inst.ImageID }) {
		return DriftAMI, nil
	}
	if inst.SubnetID != "" && !slices.ContainsFunc(nc.Status.Subnets, func(s awsv1.Subnet) bool { return s.ID == inst.SubnetID }) {
		return DriftSubnet, nil
	}
	want := make([]string, 0, len(nc.Status.SecurityGroups))
	for _, g := range nc.Status.SecurityGroups {
		want = append(want, g.ID)
	}
	slices.Sort(want)
	if len(inst.SecurityGroupIDs) > 0 && !slices.Equal(want, inst.SecurityGroupIDs) {
		return DriftSecurityGroups, nil
	}
	return "", nil
}

func (c *CloudProvider) resolveInstanceTypes(ctx context.Context, nc *awsv1.EC2NodeClass, pool *v1.NodePool) ([]*cloudprovider.InstanceType, error) {
	daemonSets, err := c.daemonSetPods(ctx)
	if err != nil {
		return nil, err
	}
	return c.instanceTypes.InstanceTypes(ctx, instancetype.Request{NodeClass: nc, NodePool: pool, DaemonSetPods: daemonSets})
}

func (c *CloudProvider) daemonSetPods(ctx context.Context) ([]*corev1.Pod, error) {
	var list appsv1.DaemonSetList
	if err := c.kube.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing daemonsets: %w", err)
	}
	objects := manifest.Objects{}
	for i := range list.Items {
		objects.DaemonSets = append(objects.DaemonSets, &list.Items[i])
	}
	return objects.DaemonSetPods(), nil
}

func (c *CloudProvider) nodeClass(ctx context.Context, ref *v1.NodeClassReference) (*awsv1.EC2NodeClass, error) {
	if ref == nil || ref.Name == "" {
		return nil, cloudprovider.NewNodeClassNotReadyError(errors.New("no nodeClassRef"))
	}
	nc := &awsv1.EC2NodeClass{}
	if err := c.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, nc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, cloudprovider.NewNodeClassNotReadyError(fmt.Errorf("EC2NodeClass %q does not exist", ref.Name))
		}
		return nil, fmt.Errorf("getting EC2NodeClass %s: %w", ref.Name, err)
	}
	if !nc.DeletionTimestamp.IsZero() {
		return nil, cloudprovider.NewNodeClassNotReadyError(fmt.Errorf("EC2NodeClass %q is being deleted", ref.Name))
	}
	return nc, nil
}

func (c *CloudProvider) nodePool(ctx context.Context, name string) (*v1.NodePool, error) {
	if name == "" {
		return nil, nil
	}
	pool := &v1.NodePool{}
	if err := c.kube.Get(ctx, types.NamespacedName{Name: name}, pool); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("getting NodePool %s: %w", name, err)
	}
	return pool, nil
}

// toNodeClaim describes an instance as a NodeClaim: provider ID, image, the labels of its instance type, zone
// and capacity type, and, given the node class, the type's capacity and allocatable resources. types, when not
// nil, are the class's instance types already resolved (for the claim's NodePool), which spares building the
// whole catalog again for the class alone.
func (c *CloudProvider) toNodeClaim(ctx context.Context, inst *instance.Instance, nc *awsv1.EC2NodeClass,
	types []*cloudprovider.InstanceType) (*v1.NodeClaim, error) {
	claim := &v1.NodeClaim{
		ObjectMeta: metav1.ObjectMeta{
			Name:              inst.Tags[awsv1.TagNodeClaim],
			Labels:            map[string]string{},
			Annotations:       map[string]string{},
			CreationTimestamp: metav1.NewTime(inst.LaunchTime),
		},
		Status: v1.NodeClaimStatus{ProviderID: inst.ProviderID(), ImageID: inst.ImageID},
	}
	if pool := inst.Tags[awsv1.TagNodePool]; pool != "" {
		claim.Labels[v1.NodePoolLabelKey] = pool
	}
	if class := inst.Tags[awsv1.TagEC2NodeClass]; class != "" {
		claim.Spec.NodeClassRef = &v1.NodeClassReference{Group: awsv1.Group, Kind: "EC2NodeClass", Name: class}
	}
	if inst.State == "shutting-down" || inst.State == "stopping" {
		now := metav1.Now()
		claim.DeletionTimestamp = &now
	}
	maps.Copy(claim.Labels, map[string]string{
		corev1.LabelInstanceTypeStable: inst.Type, corev1.LabelTopologyZone: inst.Zone, v1.CapacityTypeLabelKey: inst.CapacityType,
	})
	if nc == nil {
		return claim, nil
	}
	if !slices.ContainsFunc(types, func(it *cloudprovider.InstanceType) bool { return it.Name == inst.Type }) {
		var err error
		if types, err = c.instanceTypes.InstanceTypes(ctx, instancetype.Request{NodeClass: nc}); err != nil {
			return nil, err
		}
	}
	for _, it := range types {
		if it.Name != inst.Type {
			continue
		}
		for k, v := range it.Requirements.Labels() {
			if _, set := claim.Labels[k]; !set {
				claim.Labels[k] = v
			}
		}
		claim.Status.Capacity = it.Capacity.DeepCopy()
		claim.Status.Allocatable = it.Allocatable()
		break
	}
	return claim, nil
}
