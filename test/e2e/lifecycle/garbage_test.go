package lifecycle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
	"github.com/stevedore-dev/stevedore/test/e2e/internal/harness"
)

func TestLeakedInstancesAreCollectedAndOthersLeftAlone(t *testing.T) {
	sb.Namespace(t)
	// Stevedore's tags with no NodeClaim: what a controller that crashed after launching, or a NodeClaim whose
	// finalizer was stripped by hand, leaves behind.
	leaked := runInstance(t, map[string]string{
		awsv1.TagCluster: sandbox.ClusterName, awsv1.TagNodePool: sandbox.DefaultName,
		awsv1.TagEC2NodeClass: sandbox.DefaultName, awsv1.TagNodeClaim: "default-gone",
	})
	// The same without the cluster tag: another cluster's node, or one a person launched; never Stevedore's
	// to remove.
	foreign := runInstance(t, map[string]string{
		awsv1.TagNodePool: sandbox.DefaultName, awsv1.TagEC2NodeClass: sandbox.DefaultName, "team": "data",
	})
	t.Cleanup(func() {
		_, err := sb.EC2.TerminateInstances(context.WithoutCancel(t.Context()), &ec2.TerminateInstancesInput{InstanceIds: []string{foreign}})
		if err != nil {
			t.Errorf("terminating %s: %v", foreign, err)
		}
	})

	// Collected once older than the grace period, at the next pass: the wait allows several passes.
	timeout := gcGracePeriod + 4*gcInterval + waitTimeout/3
	sb.Eventually(t, timeout, "the leaked instance to be terminated", func(ctx context.Context) (bool, error) {
		i, err := instance(ctx, leaked)
		return err == nil && !harness.Live(i), err
	})
	// The foreign instance has been through the same passes; two more intervals show it is not merely next.
	select {
	case <-t.Context().Done():
	case <-time.After(2 * gcInterval):
	}
	i, err := instance(t.Context(), foreign)
	if err != nil {
		t.Fatal(err)
	}
	if !harness.Live(i) {
		t.Errorf("instance %s without Stevedore's cluster tag is %s; want it left running", foreign, i.State.Name)
	}
}

// runInstance launches one instance with tags the way a user's script would, and returns its ID.
func runInstance(t *testing.T, tags map[string]string) string {
	t.Helper()
	var list []ec2types.Tag
	for k, v := range tags {
		list = append(list, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := sb.EC2.RunInstances(t.Context(), &ec2.RunInstancesInput{
		ImageId: aws.String("ami-0123456789abcdef0"), InstanceType: ec2types.InstanceTypeM5Large,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: list}},
	})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

// instance describes one instance by ID.
func instance(ctx context.Context, id string) (ec2types.Instance, error) {
	out, err := sb.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return ec2types.Instance{}, err
	}
	if len(out.Reservations) == 0 || len(out.Reservations[0].Instances) == 0 {
		return ec2types.Instance{}, fmt.Errorf("instance %s not found", id)
	}
	return out.Reservations[0].Instances[0], nil
}
