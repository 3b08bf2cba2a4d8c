package instance

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/aws/batcher"
)

// Batch windows for DescribeInstances and TerminateInstances. A burst of NodeClaim reconciles (after a restart,
// or when consolidation deletes many nodes) becomes a few calls instead of one per instance, which keeps the
// account's EC2 request budget for launches.
const (
	batchIdle = 35 * time.Millisecond
	batchMax  = time.Second
	// EC2 takes at most 200 values in one filter and 1,000 IDs in one TerminateInstances call.
	describeBatchMaxSize  = 200
	terminateBatchMaxSize = 500
)

// described is one instance's DescribeInstances answer: the instance, or nil when EC2 does not know the ID.
type described struct {
	instance *ec2types.Instance
}

// terminated is one instance's TerminateInstances answer.
type terminated struct {
	change *ec2types.InstanceStateChange
}

func newDescribeBatcher(client EC2API) *batcher.Batcher[string, described] {
	return batcher.New(batcher.Options[string, described]{
		Key: func(string) string { return "" },
		Execute: func(ctx context.Context, ids []string) []batcher.Result[described] {
			return describeBatch(ctx, client, ids)
		},
		Idle: batchIdle, Max: batchMax, MaxSize: describeBatchMaxSize,
	})
}

func newTerminateBatcher(client EC2API) *batcher.Batcher[string, terminated] {
	return batcher.New(batcher.Options[string, terminated]{
		Key: func(string) string { return "" },
		Execute: func(ctx context.Context, ids []string) []batcher.Result[terminated] {
			return terminateBatch(ctx, client, ids)
		},
		Idle: batchIdle, Max: batchMax, MaxSize: terminateBatchMaxSize,
	})
}

// describeBatch describes every ID with one call. It filters on instance-id rather than naming the IDs, because
// EC2 fails a whole call that names an unknown ID (one terminated over an hour ago, say), while a filter simply
// matches nothing for it.
func describeBatch(ctx context.Context, client EC2API, ids []string) []batcher.Result[described] {
	unique := slices.Compact(slices.Sorted(slices.Values(ids)))
	found := map[string]*ec2types.Instance{}
	paginator := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: unique}},
	})
	var err error
	for paginator.HasMorePages() && err == nil {
		var page *ec2.DescribeInstancesOutput
		page, err = paginator.NextPage(ctx)
		if err != nil {
			break
		}
		for _, r := range page.Reservations {
			for i := range r.Instances {
				found[aws.ToString(r.Instances[i].InstanceId)] = &r.Instances[i]
			}
		}
	}
	out := make([]batcher.Result[described], len(ids))
	for i, id := range ids {
		if err != nil {
			out[i].Err = fmt.Errorf("describing instance %s: %w", id, err)
			continue
		}
		out[i].Value = described{instance: found[id]}
	}
	return out
}

// terminateBatch terminates every ID with one call, falling back to one call per ID when EC2 rejects the batch
// because an ID is unknown, so one stale ID cannot keep the others running.
func terminateBatch(ctx context.Context, client EC2API, ids []string) []batcher.Result[terminated] {
	unique := slices.Compact(slices.Sorted(slices.Values(ids)))
	changes, err := terminateIDs(ctx, client, unique)
	errs := map[string]error{}
	if isNotFound(err) && len(unique) > 1 {
		changes, err = map[string]*ec2types.InstanceStateChange{}, nil
		for _, id := range unique {
			one, oneErr := terminateIDs(ctx, client, []string{id})
			if oneErr != nil {
				errs[id] = oneErr
			}
			for k, v := range one {
				changes[k] = v
			}
		}
	}
	out := make([]batcher.Result[terminated], len(ids))
	for i, id := range ids {
		switch {
		case err != nil:
			out[i].Err = err
		case errs[id] != nil:
			out[i].Err = errs[id]
		default:
			out[i].Value = terminated{change: changes[id]}
		}
	}
	return out
}

func terminateIDs(ctx context.Context, client EC2API, ids []string) (map[string]*ec2types.InstanceStateChange, error) {
	out, err := client.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil {
		return nil, err
	}
	changes := map[string]*ec2types.InstanceStateChange{}
	for i := range out.TerminatingInstances {
		changes[aws.ToString(out.TerminatingInstances[i].InstanceId)] = &out.TerminatingInstances[i]
	}
	return changes, nil
}
