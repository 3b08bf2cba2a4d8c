package instance_test

import (
	"fmt"
	"sync"
	"testing"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// launchN starts n on-demand m5.large instances and returns their IDs.
func (e env) launchN(t *testing.T, provider *instance.Provider, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		inst, err := provider.Launch(t.Context(), instance.Launch{
			NodeClaim: fmt.Sprintf("claim-%d", i), NodePool: "default", NodeClass: "default", LaunchTemplate: "stevedore-test",
			CapacityType: v1.CapacityTypeOnDemand, Strategy: "lowest-price", ClientToken: fmt.Sprintf("token-%d", i),
			Overrides: []fleet.Override{{InstanceType: "m5.large", SubnetID: e.subnets["us-east-1b"], Zone: "us-east-1b"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inst.ID)
	}
	return ids
}

// concurrently runs f for every ID at once and returns the errors by ID.
func concurrently(ids []string, f func(id string) error) map[string]error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	gate := make(chan struct{})
	out := map[string]error{}
	for _, id := range ids {
		wg.Go(func() {
			<-gate
			err := f(id)
			mu.Lock()
			out[id] = err
			mu.Unlock()
		})
	}
	close(gate)
	wg.Wait()
	return out
}

func TestConcurrentGetsShareDescribeCalls(t *testing.T) {
	e := start(t, awssim.Options{})
	counting := &countingEC2{Client: e.client}
	provider := instance.NewProvider(counting, "test", e.marks)
	ids := e.launchN(t, provider, 6)
	const stale = "i-00000000000000bad"
	counting.describes.Store(0)
	errs := concurrently(append(ids, stale), func(id string) error {
		inst, err := provider.Get(t.Context(), id)
		if err == nil && inst.ID != id {
			return fmt.Errorf("got instance %s", inst.ID)
		}
		return err
	})
	for _, id := range ids {
		if errs[id] != nil {
			t.Errorf("Get(%s) = %v: an unknown ID in the same batch must not fail the others", id, errs[id])
		}
	}
	if !cloudprovider.IsNodeClaimNotFoundError(errs[stale]) {
		t.Errorf("Get(unknown) = %v, want NodeClaimNotFound", errs[stale])
	}
	// One batched call, which EC2 rejects for the unknown ID, then one call per ID to sort them out: far fewer
	// than one call per Get only when nothing is stale, but never more than n+1.
	if got := counting.describes.Load(); got > int32(len(ids)+2) {
		t.Errorf("%d DescribeInstances calls for %d Gets", got, len(ids)+1)
	}

	counting.describes.Store(0)
	concurrently(ids, func(id string) error { _, err := provider.Get(t.Context(), id); return err })
	if got := counting.describes.Load(); got != 1 {
		t.Errorf("%d DescribeInstances calls for %d concurrent Gets of known instances, want 1", got, len(ids))
	}
}

func TestConcurrentDeletesShareTerminateCalls(t *testing.T) {
	e := start(t, awssim.Options{})
	counting := &countingEC2{Client: e.client}
	provider := instance.NewProvider(counting, "test", e.marks)
	ids := e.launchN(t, provider, 6)
	errs := concurrently(ids, func(id string) error { return provider.Delete(t.Context(), id) })
	for id, err := range errs {
		if err != nil {
			t.Errorf("Delete(%s) = %v", id, err)
		}
	}
	if got := counting.terminates.Load(); got != 1 {
		t.Errorf("%d TerminateInstances calls for %d concurrent deletes, want 1", got, len(ids))
	}
	if list, err := provider.List(t.Context()); err != nil || len(list) != 0 {
		t.Errorf("after deleting all: %d instances left, %v", len(list), err)
	}
	errs = concurrently(ids, func(id string) error { return provider.Delete(t.Context(), id) })
	for id, err := range errs {
		if !cloudprovider.IsNodeClaimNotFoundError(err) {
			t.Errorf("second Delete(%s) = %v, want NodeClaimNotFound", id, err)
		}
	}
}
