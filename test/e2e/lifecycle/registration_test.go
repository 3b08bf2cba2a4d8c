package lifecycle_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/test"
	"github.com/stevedore-dev/stevedore/test/e2e/internal/harness"
)

func TestAnInstanceThatNeverRegistersIsReplaced(t *testing.T) {
	ns := sb.Namespace(t)
	// The next instance boots but its kubelet never registers a Node.
	sb.Info.Simulator.SetUnjoinable("", 1)
	t.Cleanup(func() { sb.Info.Simulator.SetUnjoinable("", 0) })
	d := test.Deployment(1, test.WithNamespace(ns), test.WithRequests("100m", "128Mi"))
	app := d.Spec.Template.Labels["app"]
	if err := sb.Client.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}

	var stuck v1.NodeClaim
	sb.Eventually(t, waitTimeout, "a NodeClaim to launch", func(ctx context.Context) (bool, error) {
		claims, err := sb.NodeClaims(ctx)
		if err != nil || len(claims) == 0 {
			return false, err
		}
		stuck = claims[0]
		return stuck.Status.ProviderID != "", nil
	})
	instanceID := stuck.Status.ProviderID[strings.LastIndex(stuck.Status.ProviderID, "/")+1:]
	t.Logf("NodeClaim %s launched instance %s", stuck.Name, instanceID)

	// The claim is given up on once the registration TTL has passed since its launch.
	sb.Eventually(t, registrationTTL+waitTimeout, "the unregistered NodeClaim to be deleted", func(ctx context.Context) (bool, error) {
		got := &v1.NodeClaim{}
		err := sb.Client.Get(ctx, client.ObjectKeyFromObject(&stuck), got)
		if err == nil && got.Status.NodeName != "" {
			t.Fatalf("NodeClaim %s registered node %s; the instance was to be unjoinable", got.Name, got.Status.NodeName)
		}
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	i, err := instance(t.Context(), instanceID)
	if err != nil {
		t.Fatal(err)
	}
	if harness.Live(i) {
		t.Errorf("instance %s of the deleted NodeClaim is %s; want it terminated", instanceID, i.State.Name)
	}

	pods := sb.WaitRunning(t, waitTimeout, ns, app, 1)
	claims, err := sb.NodeClaims(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 || claims[0].Name == stuck.Name || claims[0].Status.NodeName != pods[0].Spec.NodeName {
		t.Errorf("pod runs on %q; want it on the node of one replacement NodeClaim, got claims %v", pods[0].Spec.NodeName, claimNames(claims))
	}
}

func claimNames(claims []v1.NodeClaim) []string {
	names := make([]string, len(claims))
	for i, c := range claims {
		names[i] = c.Name + "→" + c.Status.NodeName
	}
	return names
}
