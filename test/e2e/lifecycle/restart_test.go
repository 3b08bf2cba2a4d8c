package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
	"github.com/stevedore-dev/stevedore/pkg/test"
	"github.com/stevedore-dev/stevedore/test/e2e/internal/harness"
)

func TestAControllerKilledMidLaunchLeavesNoDuplicateOrOrphan(t *testing.T) {
	ns := sb.Namespace(t)
	// Slow EC2 widens the window between an instance starting and its NodeClaim recording it.
	sb.Info.Simulator.SetLatency(2 * time.Second)
	t.Cleanup(func() { sb.Info.Simulator.SetLatency(0) })
	d := test.Deployment(2, test.WithNamespace(ns), test.WithRequests("100m", "128Mi"))
	app := d.Spec.Template.Labels["app"]
	d.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
		}},
	}}
	if err := sb.Client.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}

	// The simulator's admin view is never delayed, so it shows an instance the moment EC2 starts it.
	sb.Eventually(t, waitTimeout, "an instance to start for a NodeClaim", func(ctx context.Context) (bool, error) {
		state, err := adminState(ctx)
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(state.Instances, func(i awssim.AdminInstance) bool {
			return i.Tags[awsv1.TagCluster] == sandbox.ClusterName && (i.State == "pending" || i.State == "running")
		}), nil
	})
	if err := sb.Controller().Kill(); err != nil {
		t.Fatal(err)
	}
	// Not fatal: the controller must be restarted whatever happens, or the cleanup could not drain.
	claims, err := sb.NodeClaims(t.Context())
	if err != nil {
		t.Error(err)
	}
	t.Logf("killed the controller with NodeClaims %v", claimProviders(claims))
	// The crash is what the latency was for; a restart under it would spend half a minute paging through
	// instance types.
	sb.Info.Simulator.SetLatency(0)
	if _, err := sb.StartController(); err != nil {
		t.Fatal(err)
	}

	sb.WaitRunning(t, waitTimeout, ns, app, 2)
	t.Log("the pods run after the restart")
	// Garbage collection may need its grace period and a pass to remove an instance the crash orphaned.
	sb.Eventually(t, gcGracePeriod+2*gcInterval+waitTimeout, "one live instance per NodeClaim and none without one", func(ctx context.Context) (bool, error) {
		problems, err := instanceProblems(ctx)
		return err == nil && len(problems) == 0, err
	})
	// The restarted controller carries on with the claims it had: it adopts an instance launched for one, or
	// launches it, rather than giving it up and provisioning again.
	after, err := sb.NodeClaims(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var lost []string
	for _, c := range claims {
		if !slices.ContainsFunc(after, func(a v1.NodeClaim) bool { return a.Name == c.Name }) {
			lost = append(lost, c.Name)
		}
	}
	state, err := adminState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	launches := map[string]int{}
	for _, i := range state.Instances {
		if name := i.Tags[awsv1.TagNodeClaim]; name != "" {
			launches[name]++
		}
	}
	for name, n := range launches {
		if n > 1 {
			// A CreateFleet the killed controller had in flight can still complete after the restarted one
			// launched for the same claim with other parameters (so another client token). The extra instance is
			// found and terminated above (no live duplicate, no leak), but for a minute it costs money: a known
			// gap, logged rather than failed until launch tokens survive a restart.
			t.Logf("known gap: NodeClaim %s had %d instances launched for it before garbage collection removed the extra", name, n)
		}
	}
	if len(lost) > 0 {
		// A restarted controller that had not read instance types and prices yet used to find "0 compatible
		// instance types", take it for a capacity shortage and delete the claims, orphaning their instances.
		t.Errorf("NodeClaims %v, in flight when the controller was killed, were deleted after the restart and "+
			"replaced (claims now %v)", lost, claimProviders(after))
	}
}

// instanceProblems lists what breaks one-instance-per-NodeClaim: claims with other than one live instance
// tagged for them, and live cluster instances that no claim records.
func instanceProblems(ctx context.Context) ([]string, error) {
	claims, err := sb.NodeClaims(ctx)
	if err != nil {
		return nil, err
	}
	instances, err := sb.Instances(ctx, harness.ClusterFilter())
	if err != nil {
		return nil, err
	}
	tagged := map[string]int{}
	owned := map[string]bool{}
	for _, c := range claims {
		owned[c.Status.ProviderID] = true
	}
	var problems []string
	for _, i := range instances {
		if !harness.Live(i) {
			continue
		}
		tagged[harness.Tag(i, awsv1.TagNodeClaim)]++
		id := fmt.Sprintf("aws:///%s/%s", *i.Placement.AvailabilityZone, *i.InstanceId)
		if !owned[id] {
			problems = append(problems, "instance "+*i.InstanceId+" has no NodeClaim")
		}
	}
	for _, c := range claims {
		if n := tagged[c.Name]; n != 1 {
			problems = append(problems, fmt.Sprintf("NodeClaim %s has %d live instances", c.Name, n))
		}
	}
	return problems, nil
}

// adminState reads the simulator's admin view.
func adminState(ctx context.Context) (awssim.AdminState, error) {
	var state awssim.AdminState
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sb.Info.AWSEndpoint+"/admin/state", nil)
	if err != nil {
		return state, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return state, fmt.Errorf("reading the simulator's state: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return state, fmt.Errorf("reading the simulator's state: %s", resp.Status)
	}
	return state, json.NewDecoder(resp.Body).Decode(&state)
}

func claimProviders(claims []v1.NodeClaim) []string {
	out := make([]string, len(claims))
	for i, c := range claims {
		out[i] = c.Name + "=" + c.Status.ProviderID
	}
	return out
}
