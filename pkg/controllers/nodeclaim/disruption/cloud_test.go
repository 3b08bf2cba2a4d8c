package disruption_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider/fake"
	"github.com/stevedore-dev/stevedore/pkg/controllers/nodeclaim/disruption"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// TestCloudDriftIsRecordedWithTheProvidersReason: a machine the provider reports drifted (a new AMI, say) drifts
// its claim with the provider's reason; once the provider stops reporting it, the condition goes.
func TestCloudDriftIsRecordedWithTheProvidersReason(t *testing.T) {
	f := setup(t)
	np := pool(t)
	nc := launched(t, np)
	f.cloud.Drifted = map[string]cloudprovider.DriftReason{nc.Status.ProviderID: "AMIDrift"}

	nc = f.reconcile(t, nc)
	expectDrifted(t, nc, "AMIDrift", "AMIDrift", nc.Status.ProviderID, "EC2NodeClass default")
	f.expectEvents(t, 1, "Drifted", "AMIDrift")

	f.cloud.Drifted = nil
	expectNotDrifted(t, f.reconcile(t, nc))
}

// TestClaimsWithoutAProviderIDAreNotAskedAbout: the provider cannot judge a machine it has no ID for.
func TestClaimsWithoutAProviderIDAreNotAskedAbout(t *testing.T) {
	f := setup(t)
	np := pool(t)
	nc := launched(t, np, withLaunch(""))
	asked := &countingCloud{CloudProvider: f.cloud}
	c := f.newController(asked)
	if res := test.ExpectReconciled(test.Context(t), t, c, nc); res.RequeueAfter == 0 {
		t.Errorf("no recheck scheduled")
	}
	expectNotDrifted(t, get(t, nc))
	if asked.calls != 0 {
		t.Errorf("IsDrifted called %d times for a claim without a provider ID", asked.calls)
	}
}

// TestCloudErrors: an error the provider cannot explain fails the reconcile (it is retried) and changes nothing;
// a node class that is not ready, or an instance already gone, keeps a cloud reason recorded before, without an
// error, but drops a pool reason that no longer holds.
func TestCloudErrors(t *testing.T) {
	f := setup(t)
	np := pool(t)
	for _, tc := range []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"throttled", errors.New("RequestLimitExceeded"), true},
		{"node class not ready", cloudprovider.NewNodeClassNotReadyError(errors.New("EC2NodeClass default is being deleted")), false},
		{"instance gone", cloudprovider.NewNodeClaimNotFoundError(errors.New("no instance")), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.newController(&failingCloud{CloudProvider: f.cloud, err: tc.err})
			ctx := test.Context(t)
			for _, drifted := range []bool{false, true} {
				opts := []test.Option{withoutAnnotations()}
				if drifted {
					opts = append(opts, withDrifted("AMIDrift"))
				}
				nc := launched(t, np, opts...)
				if tc.wantErr {
					if err := test.ExpectReconcileFailed(ctx, t, c, nc); !strings.Contains(err.Error(), tc.err.Error()) {
						t.Errorf("error %v, want the provider's", err)
					}
				} else {
					test.ExpectReconciled(ctx, t, c, nc)
				}
				nc = get(t, nc)
				if got := nc.Conditions().IsTrue(v1.ConditionTypeDrifted); got != drifted {
					t.Errorf("drifted before: %v; after: %v; want it kept", drifted, got)
				}
				// The hash is stamped all the same: it does not depend on the cloud.
				if nc.Annotations[v1.NodePoolHashAnnotationKey] != np.Hash() {
					t.Errorf("annotations %v, want the pool's hash stamped", nc.Annotations)
				}
			}
			stale := launched(t, np, withDrifted(string(disruption.RequirementsDrift)))
			_, _ = c.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(stale)})
			if got := get(t, stale).Conditions().IsTrue(v1.ConditionTypeDrifted); got != tc.wantErr {
				t.Errorf("RequirementsDrift that no longer holds: drifted %v, want %v", got, tc.wantErr)
			}
			f.expectEvents(t, 0)
		})
	}
}

// countingCloud counts IsDrifted calls.
type countingCloud struct {
	*fake.CloudProvider
	calls int
}

func (c *countingCloud) IsDrifted(ctx context.Context, nc *v1.NodeClaim) (cloudprovider.DriftReason, error) {
	c.calls++
	return c.CloudProvider.IsDrifted(ctx, nc)
}

// failingCloud answers IsDrifted with an error.
type failingCloud struct {
	*fake.CloudProvider
	err error
}

func (c *failingCloud) IsDrifted(context.Context, *v1.NodeClaim) (cloudprovider.DriftReason, error) {
	return "", c.err
}
