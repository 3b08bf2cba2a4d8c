package sandbox

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// TestDemo runs a small day in the life against the shared sandbox: every step prints its line, the lines count
// and price what runs, and the evening's pods end up Running, batch's on spot nodes along the way.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	out := &syncBuffer{}
	env := workloadEnvFor(t, out)
	c := env.client
	t.Cleanup(func() { cleanUpDemo(context.WithoutCancel(ctx), t, c) })
	d := demoScript{web: 3, api: 2, batch: 1, peak: 5, evening: 1, poll: 250 * time.Millisecond, timeout: 2 * time.Minute}
	opts := Options{Workload: d.workload(), Out: out, Clock: clock.RealClock{}}
	<-startWorkload(ctx, opts, c, shared.info.Kubeconfig, env.price)
	t.Logf("demo output:\n%s", out)

	stamped := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d  demo (\d)/7: (.*)$`)
	lines := map[int]string{}
	for _, m := range stamped.FindAllStringSubmatch(out.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		lines[n] = m[2]
	}
	running := regexp.MustCompile(`(\d+) pods running on [1-9]\d* nodes \(\d+ [\w.]+/(on-demand|spot).*\), \$0*[.]?0*[1-9][\d.]*/hour`)
	for _, tc := range []struct {
		step        int
		want        string
		wantRunning int
	}{
		{1, "web: 3 replicas, 500m CPU/1Gi each, spread across zones (maxSkew 1), PDB minAvailable 80%", 0},
		{2, "api: 2 replicas, 2 CPU/4Gi each, spread across nodes (maxSkew 1, ScheduleAnyway), PDB maxUnavailable 1", 0},
		{3, "batch: 1 replica, 4 CPU/16Gi each, spot only (" + v1.CapacityTypeLabelKey + "=spot)", 0},
		{4, "everything runs: ", 6},
		{5, "morning peak, web scaled to 5: ", 8},
		{6, "evening, web scaled to 1 and batch to 0: ", 3},
		{7, "script done; the sandbox keeps running until Ctrl-C. Look with: kubectl --kubeconfig " + shared.info.Kubeconfig, 0},
	} {
		line, ok := lines[tc.step]
		if !ok || !strings.HasPrefix(line, tc.want) {
			t.Errorf("step %d: line %q; want one starting %q", tc.step, line, tc.want)
			continue
		}
		if tc.wantRunning == 0 {
			continue
		}
		m := running.FindStringSubmatch(line)
		if m == nil || m[1] != strconv.Itoa(tc.wantRunning) {
			t.Errorf("step %d: line %q; want %d pods running on priced nodes", tc.step, line, tc.wantRunning)
		}
	}
	if !strings.Contains(lines[6], "empty or underutilized for 30s (NodePool default's consolidateAfter)") {
		t.Errorf("step 6 does not tell when consolidation acts: %q", lines[6])
	}

	pods := &corev1.PodList{}
	if err := c.List(ctx, pods, client.InNamespace(DemoNamespace)); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning || p.Spec.NodeName == "" {
			t.Errorf("pod %s is %s on node %q; want Running", p.Name, p.Status.Phase, p.Spec.NodeName)
		}
		count[p.Labels["app"]]++
	}
	if fmt.Sprint(count) != "map[api:2 web:1]" {
		t.Errorf("pods by app %v; want api 2, web 1 and batch none", count)
	}
}

// cleanUpDemo removes the demo's namespace and the nodes launched for it, so the package's other tests start
// from an empty cluster rather than waiting for consolidation.
func cleanUpDemo(ctx context.Context, t *testing.T, c client.Client) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.Delete(ctx, &corev1.Namespace{ObjectMeta: objectMeta("", DemoNamespace)}); client.IgnoreNotFound(err) != nil {
		t.Errorf("deleting namespace %s: %v", DemoNamespace, err)
	}
	eventually(ctx, t, "the demo namespace gone", func(ctx context.Context) (bool, string) {
		err := c.Get(ctx, client.ObjectKey{Name: DemoNamespace}, &corev1.Namespace{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	if err := c.DeleteAllOf(ctx, &corev1.Node{}, client.HasLabels{v1.NodePoolLabelKey}); err != nil {
		t.Errorf("deleting the launched nodes: %v", err)
	}
	eventually(ctx, t, "the launched nodes' NodeClaims gone", func(ctx context.Context) (bool, string) {
		left := &v1.NodeClaimList{}
		if err := c.List(ctx, left); err != nil {
			return false, err.Error()
		}
		return len(left.Items) == 0, strconv.Itoa(len(left.Items)) + " NodeClaims left"
	})
}
