package instance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/batcher"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/aws/ice"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// EC2API is the part of the EC2 client this package calls.
type EC2API interface {
	CreateFleet(context.Context, *ec2.CreateFleetInput, ...func(*ec2.Options)) (*ec2.CreateFleetOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	TerminateInstances(context.Context, *ec2.TerminateInstancesInput, ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
}

// Instance is what Stevedore tracks of an EC2 instance.
type Instance struct {
	ID           string
	Type         string
	Zone         string
	CapacityType string
	ImageID      string
	SubnetID     string
	// SecurityGroupIDs are the groups of the instance's primary network interface, sorted.
	SecurityGroupIDs []string
	State            string
	LaunchTime       time.Time
	Tags             map[string]string
}

// ProviderID is the instance's Kubernetes provider ID.
func (i *Instance) ProviderID() string { return ProviderID(i.Zone, i.ID) }

// ProviderID formats aws:///<zone>/<instance-id>, as the AWS cloud controller sets on nodes.
func ProviderID(zone, id string) string { return "aws:///" + zone + "/" + id }

// ParseProviderID returns the instance ID of a provider ID.
func ParseProviderID(providerID string) (string, error) {
	rest, ok := strings.CutPrefix(providerID, "aws:///")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 2 || !strings.HasPrefix(parts[1], "i-") {
		return "", fmt.Errorf("provider ID %q is not of the form aws:///<zone>/<instance-id>", providerID)
	}
	return parts[1], nil
}

// Provider talks to EC2 for one cluster.
type Provider struct {
	ec2         EC2API
	clusterName string
	unavailable *ice.Cache
	launches    *batcher.Batcher[Launch, *Instance]
	describes   *batcher.Batcher[string, described]
	terminates  *batcher.Batcher[string, terminated]
}

// NewProvider returns a Provider; unavailable receives the offerings EC2 has no capacity for. Concurrent
// launches that differ only in their NodeClaim are merged into one CreateFleet call (see Launch), and
// concurrent Gets and Deletes into one DescribeInstances or TerminateInstances call.
func NewProvider(client EC2API, clusterName string, unavailable *ice.Cache) *Provider {
	p := &Provider{ec2: client, clusterName: clusterName, unavailable: unavailable,
		describes: newDescribeBatcher(client), terminates: newTerminateBatcher(client)}
	p.launches = batcher.New(batcher.Options[Launch, *Instance]{
		Key:     launchKey,
		Execute: p.launchBatch,
		Idle:    35 * time.Millisecond,
		Max:     time.Second,
		MaxSize: 1000,
	})
	return p
}

// launchKey groups launches that one CreateFleet call can serve: everything but the NodeClaim.
func launchKey(l Launch) string {
	l.NodeClaim, l.ClientToken = "", ""
	return fmt.Sprintf("%+v", l)
}

// launchBatch starts one instance per request with one CreateFleet call, then tags each with its
// NodeClaim. Requests EC2 found no instance for get the call's error.
func (p *Provider) launchBatch(ctx context.Context, requests []Launch) []batcher.Result[*Instance] {
	shared := requests[0]
	if len(requests) > 1 {
		// One fleet call tags all its instances alike; each gets its NodeClaim tag afterwards.
		shared.NodeClaim = ""
	}
	tokens := make([]string, 0, len(requests))
	for _, r := range requests {
		tokens = append(tokens, r.ClientToken)
	}
	if slices.Contains(tokens, "") {
		shared.ClientToken = ""
	} else {
		// The parameters are part of the token: EC2 rejects a token reused with different parameters
		// (IdempotentParameterMismatch), and a retry whose offerings changed (capacity errors in between) is a
		// new request, not a replay of the first.
		shared.ClientToken = tokenOf(append(tokens, launchKey(requests[0])))
	}
	instances, err := p.launch(ctx, shared, len(requests))
	out := make([]batcher.Result[*Instance], len(requests))
	for i := range requests {
		if i >= len(instances) {
			if err == nil {
				err = cloudprovider.NewInsufficientCapacityError(fmt.Errorf("EC2 launched %d of %d instances", len(instances), len(requests)))
			}
			out[i].Err = err
			continue
		}
		inst := instances[i]
		if len(requests) == 1 {
			out[i].Value = inst
			continue
		}
		tags := map[string]string{awsv1.TagNodeClaim: requests[i].NodeClaim, "Name": requests[i].NodeClaim}
		// A failed tagging leaves the instance ours (it carries the cluster tags) and the claim still gets it;
		// garbage collection matches claims by provider ID, so the NodeClaim tag is for people.
		_, _ = p.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{inst.ID}, Tags: tagList(tags)})
		out[i].Value = inst
	}
	return out
}

// tokenOf derives one idempotency token for a batch from its requests' tokens.
func tokenOf(tokens []string) string {
	slices.Sort(tokens)
	h := fnv.New64a()
	for _, t := range tokens {
		_, _ = h.Write([]byte(t))
		_, _ = h.Write([]byte{0})
	}
	return fmt.Sprintf("stevedore-%016x", h.Sum64())
}

// Launch is one instance to start.
type Launch struct {
	// NodeClaim, NodePool and NodeClass name what the instance is for; they become tags.
	NodeClaim, NodePool, NodeClass string
	// LaunchTemplate is the name of the launch template to start from, unless an override names its own.
	LaunchTemplate string
	// CapacityType is on-demand or spot; Strategy the EC2 Fleet allocation strategy for it.
	CapacityType, Strategy string
	// Overrides are the instance types and subnets EC2 may use, in priority order.
	Overrides []fleet.Override
	// Tags are the user's tags from the EC2NodeClass.
	Tags map[string]string
	// ClientToken makes the CreateFleet call idempotent, together with the launch's parameters: a retry of the
	// same launch after a lost response returns the first
	// call's instance instead of launching a second. It must differ between attempts that should launch anew.
	ClientToken string
}

// Tags are every tag a launch puts on the instance, its volumes and the fleet: the user's, then Stevedore's
// ownership tags, which win.
func (p *Provider) Tags(l Launch) map[string]string {
	tags := map[string]string{}
	for k, v := range l.Tags {
		tags[k] = v
	}
	tags["kubernetes.io/cluster/"+p.clusterName] = "owned"
	tags[awsv1.TagCluster] = p.clusterName
	tags[awsv1.TagNodePool] = l.NodePool
	tags[awsv1.TagEC2NodeClass] = l.NodeClass
	if l.NodeClaim != "" {
		tags[awsv1.TagNodeClaim] = l.NodeClaim
		tags["Name"] = l.NodeClaim
	}
	return tags
}

// Launch starts one instance with CreateFleet (type instant). Concurrent launches that differ only in their
// NodeClaim wait up to 35 ms (at most one second) for each other and go as one call with a target capacity of
// N; each instance is then tagged with its NodeClaim. Offerings EC2 reports out of capacity are marked
// unavailable; when no instance starts and every error was about capacity, the result is an
// InsufficientCapacityError so the next solve plans elsewhere.
func (p *Provider) Launch(ctx context.Context, l Launch) (*Instance, error) {
	if len(l.Overrides) == 0 {
		return nil, cloudprovider.NewInsufficientCapacityError(errors.New("no instance type and subnet to launch in"))
	}
	return p.launches.Do(ctx, l)
}

// launch starts n instances with one CreateFleet call.
func (p *Provider) launch(ctx context.Context, l Launch, n int) ([]*Instance, error) {
	zoneOf := map[string]string{}
	var configs []ec2types.FleetLaunchTemplateConfigRequest
	configOf := map[string]int{}
	for _, o := range l.Overrides {
		zoneOf[o.SubnetID] = o.Zone
		name := cmp.Or(o.LaunchTemplate, l.LaunchTemplate)
		i, ok := configOf[name]
		if !ok {
			i = len(configs)
			configOf[name] = i
			configs = append(configs, ec2types.FleetLaunchTemplateConfigRequest{
				LaunchTemplateSpecification: &ec2types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")},
			})
		}
		configs[i].Overrides = append(configs[i].Overrides, ec2types.FleetLaunchTemplateOverridesRequest{
			InstanceType: ec2types.InstanceType(o.InstanceType), SubnetId: aws.String(o.SubnetID), Priority: aws.Float64(o.Priority),
		})
	}
	tags := tagList(p.Tags(l))
	input := &ec2.CreateFleetInput{
		Type:                  ec2types.FleetTypeInstant,
		ClientToken:           aws.String(l.ClientToken),
		LaunchTemplateConfigs: configs,
		TargetCapacitySpecification: &ec2types.TargetCapacitySpecificationRequest{
			TotalTargetCapacity: aws.Int32(int32(n)), DefaultTargetCapacityType: targetCapacityType(l.CapacityType),
		},
		TagSpecifications: []ec2types.TagSpecification{
			{ResourceType: ec2types.ResourceTypeInstance, Tags: tags},
			{ResourceType: ec2types.ResourceTypeVolume, Tags: tags},
			{ResourceType: ec2types.ResourceTypeFleet, Tags: tags},
		},
	}
	if l.ClientToken == "" {
		input.ClientToken = nil
	}
	if l.CapacityType == v1.CapacityTypeSpot {
		input.SpotOptions = &ec2types.SpotOptionsRequest{AllocationStrategy: ec2types.SpotAllocationStrategy(l.Strategy)}
	} else {
		input.OnDemandOptions = &ec2types.OnDemandOptionsRequest{AllocationStrategy: ec2types.FleetOnDemandAllocationStrategy(l.Strategy)}
	}
	out, err := p.ec2.CreateFleet(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("creating fleet: %w", err)
	}
	var capacityErrors, otherErrors []string
	for _, e := range out.Errors {
		code := aws.ToString(e.ErrorCode)
		msg := fmt.Sprintf("%s: %s", code, aws.ToString(e.ErrorMessage))
		if !ice.IsCapacityError(code) {
			otherErrors = append(otherErrors, msg)
			continue
		}
		capacityErrors = append(capacityErrors, msg)
		if o := e.LaunchTemplateAndOverrides; o != nil && o.Overrides != nil {
			zone := aws.ToString(o.Overrides.AvailabilityZone)
			if zone == "" {
				zone = zoneOf[aws.ToString(o.Overrides.SubnetId)]
			}
			p.unavailable.MarkUnavailable(l.CapacityType, string(o.Overrides.InstanceType), zone)
		}
	}
	var instances []*Instance
	for _, launched := range out.Instances {
		zone := ""
		if o := launched.LaunchTemplateAndOverrides; o != nil && o.Overrides != nil {
			zone = aws.ToString(o.Overrides.AvailabilityZone)
			if zone == "" {
				zone = zoneOf[aws.ToString(o.Overrides.SubnetId)]
			}
		}
		for _, id := range launched.InstanceIds {
			instances = append(instances, &Instance{ID: id, Type: string(launched.InstanceType), Zone: zone, CapacityType: l.CapacityType, State: "pending"})
		}
	}
	slices.SortFunc(instances, func(a, b *Instance) int { return strings.Compare(a.ID, b.ID) })
	if len(instances) > 0 {
		return instances, nil
	}
	if len(otherErrors) == 0 && len(capacityErrors) > 0 {
		return nil, cloudprovider.NewInsufficientCapacityError(errors.New(strings.Join(capacityErrors, "; ")))
	}
	return nil, fmt.Errorf("creating fleet launched nothing: %s", strings.Join(append(otherErrors, capacityErrors...), "; "))
}

// Get returns the instance with the ID; one that does not exist or is terminated is a
// NodeClaimNotFoundError. Concurrent Gets share DescribeInstances calls.
func (p *Provider) Get(ctx context.Context, id string) (*Instance, error) {
	d, err := p.describes.Do(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.instance == nil {
		return nil, cloudprovider.NewNodeClaimNotFoundError(fmt.Errorf("instance %s does not exist", id))
	}
	inst := fromEC2(*d.instance)
	if inst.State == string(ec2types.InstanceStateNameTerminated) {
		return nil, cloudprovider.NewNodeClaimNotFoundError(fmt.Errorf("instance %s is terminated", id))
	}
	return inst, nil
}

// FindByNodeClaim returns the cluster's live instance tagged for the NodeClaim, or nil when there is none. A
// launcher calls it before launching, so that a retry after a crash between CreateFleet and recording the
// instance adopts the first instance instead of starting a second one.
func (p *Provider) FindByNodeClaim(ctx context.Context, nodeClaim string) (*Instance, error) {
	instances, err := p.list(ctx, ec2types.Filter{Name: aws.String("tag:" + awsv1.TagNodeClaim), Values: []string{nodeClaim}})
	if err != nil || len(instances) == 0 {
		return nil, err
	}
	return instances[0], nil
}

// List returns every instance tagged for the cluster that is not terminated (or terminating), ordered by ID.
func (p *Provider) List(ctx context.Context) ([]*Instance, error) {
	return p.list(ctx)
}

func (p *Provider) list(ctx context.Context, filters ...ec2types.Filter) ([]*Instance, error) {
	input := &ec2.DescribeInstancesInput{Filters: append([]ec2types.Filter{
		{Name: aws.String("tag:" + awsv1.TagCluster), Values: []string{p.clusterName}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}, filters...)}
	var out []*Instance
	paginator := ec2.NewDescribeInstancesPaginator(p.ec2, input)
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				out = append(out, fromEC2(i))
			}
		}
	}
	slices.SortFunc(out, func(a, b *Instance) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Delete terminates the instance. Terminating one already terminated, or unknown, is a
// NodeClaimNotFoundError, so callers can tell "gone" from "going". Concurrent Deletes share
// TerminateInstances calls.
func (p *Provider) Delete(ctx context.Context, id string) error {
	if _, err := p.Get(ctx, id); err != nil {
		return err
	}
	t, err := p.terminates.Do(ctx, id)
	if isNotFound(err) {
		return cloudprovider.NewNodeClaimNotFoundError(fmt.Errorf("instance %s does not exist", id))
	}
	if err != nil {
		return fmt.Errorf("terminating instance %s: %w", id, err)
	}
	if c := t.change; c != nil && c.PreviousState != nil && c.PreviousState.Name == ec2types.InstanceStateNameTerminated {
		return cloudprovider.NewNodeClaimNotFoundError(fmt.Errorf("instance %s was already terminated", id))
	}
	return nil
}

func fromEC2(i ec2types.Instance) *Instance {
	inst := &Instance{
		ID: aws.ToString(i.InstanceId), Type: string(i.InstanceType), ImageID: aws.ToString(i.ImageId),
		LaunchTime: aws.ToTime(i.LaunchTime), Tags: map[string]string{}, CapacityType: v1.CapacityTypeOnDemand,
	}
	if i.Placement != nil {
		inst.Zone = aws.ToString(i.Placement.AvailabilityZone)
	}
	inst.SubnetID = aws.ToString(i.SubnetId)
	for _, g := range i.SecurityGroups {
		inst.SecurityGroupIDs = append(inst.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	slices.Sort(inst.SecurityGroupIDs)
	if i.State != nil {
		inst.State = string(i.State.Name)
	}
	if i.InstanceLifecycle == ec2types.InstanceLifecycleTypeSpot {
		inst.CapacityType = v1.CapacityTypeSpot
	}
	for _, t := range i.Tags {
		inst.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return inst
}

func tagList(tags map[string]string) []ec2types.Tag {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]ec2types.Tag, len(keys))
	for i, k := range keys {
		out[i] = ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])}
	}
	return out
}

func targetCapacityType(capacityType string) ec2types.DefaultTargetCapacityType {
	if capacityType == v1.CapacityTypeSpot {
		return ec2types.DefaultTargetCapacityTypeSpot
	}
	return ec2types.DefaultTargetCapacityTypeOnDemand
}

func isNotFound(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && strings.HasPrefix(apiErr.ErrorCode(), "InvalidInstanceID")
}
