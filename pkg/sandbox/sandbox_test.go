package sandbox

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/scheme"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// sandboxClient talks to the shared sandbox as the admin.
func sandboxClient(t *testing.T) client.Client {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(shared.info.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventually polls cond until it holds, failing the test with what it last saw when ctx ends first.
func eventually(ctx context.Context, t *testing.T, what string, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	last := ""
	err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		ok, seen := cond(ctx)
		last = seen
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: never happened; last saw %s", what, last)
	}
}

func TestDefaultsApplied(t *testing.T) {
	c := sandboxClient(t)
	nc := &awsv1.EC2NodeClass{}
	if err := c.Get(t.Context(), client.ObjectKey{Name: DefaultName}, nc); err != nil {
		t.Fatalf("default EC2NodeClass: %v", err)
	}
	np := &v1.NodePool{}
	if err := c.Get(t.Context(), client.ObjectKey{Name: DefaultName}, np); err != nil {
		t.Fatalf("default NodePool: %v", err)
	}
	// Applying again, as a restart on the same state directory does, changes nothing and does not fail.
	if err := applyDefaults(t.Context(), c, []string{"us-east-1a"}); err != nil {
		t.Fatalf("applying the defaults twice: %v", err)
	}
	again := &v1.NodePool{}
	if err := c.Get(t.Context(), client.ObjectKey{Name: DefaultName}, again); err != nil {
		t.Fatal(err)
	}
	if again.ResourceVersion != np.ResourceVersion {
		t.Errorf("applying the defaults again rewrote the NodePool (resourceVersion %s -> %s)", np.ResourceVersion, again.ResourceVersion)
	}
	if !strings.Contains(shared.out.String(), "kubectl --kubeconfig "+shared.info.Kubeconfig+" get nodes,pods -A") {
		t.Errorf("output does not show the kubectl command line:\n%s", shared.out.String())
	}
}

// TestScaleUpAndDown follows pods that fit nowhere from pending to Running on launched nodes, and a node
// deleted afterwards back out of the cluster.
func TestScaleUpAndDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := sandboxClient(t)
	deploy := test.Deployment(3, test.WithRequests("500m", "1Gi"))
	created := time.Now()
	if err := c.Create(ctx, deploy); err != nil {
		t.Fatal(err)
	}
	selector := client.MatchingLabels(deploy.Spec.Selector.MatchLabels)
	var firstClaim, firstNode time.Duration
	eventually(ctx, t, "every pod Running on a launched node", func(ctx context.Context) (bool, string) {
		firstClaim = firstSeen(ctx, c, &v1.NodeClaimList{}, firstClaim, created)
		firstNode = firstSeen(ctx, c, &corev1.NodeList{}, firstNode, created)
		pods := &corev1.PodList{}
		if err := c.List(ctx, pods, selector); err != nil {
			return false, err.Error()
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && p.Spec.NodeName != "" {
				running++
			}
		}
		return running == 3, strconv.Itoa(running) + " of 3 running"
	})
	t.Logf("after the Deployment was created: first NodeClaim %s, first Node %s, pods Running %s",
		firstClaim.Round(100*time.Millisecond), firstNode.Round(100*time.Millisecond), time.Since(created).Round(100*time.Millisecond))

	nodes := &corev1.NodeList{}
	if err := c.List(ctx, nodes, client.HasLabels{v1.NodePoolLabelKey}); err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) == 0 {
		t.Fatal("pods run, but on no node the NodePool launched")
	}
	claims := &v1.NodeClaimList{}
	if err := c.List(ctx, claims); err != nil {
		t.Fatal(err)
	}
	if len(claims.Items) < len(nodes.Items) {
		t.Errorf("%d launched nodes but %d NodeClaims", len(nodes.Items), len(claims.Items))
	}
	// The status line counts the launched nodes and prices their instances.
	pricedLine := regexp.MustCompile(`nodes [1-9]\d* \(.*\), pending pods 0, \$0*[.]?0*[1-9][\d.]*/hour`)
	eventually(ctx, t, "a status line showing the nodes and their cost", func(context.Context) (bool, string) {
		out := shared.out.String()
		return pricedLine.MatchString(out), lastLine(out)
	})

	if err := c.Delete(ctx, deploy); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if err := c.Delete(ctx, &n); client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		}
	}
	eventually(ctx, t, "the deleted nodes and their NodeClaims gone", func(ctx context.Context) (bool, string) {
		for _, n := range nodes.Items {
			err := c.Get(ctx, client.ObjectKeyFromObject(&n), &corev1.Node{})
			if !apierrors.IsNotFound(err) {
				return false, "node " + n.Name + " still there"
			}
		}
		left := &v1.NodeClaimList{}
		if err := c.List(ctx, left); err != nil {
			return false, err.Error()
		}
		return len(left.Items) == 0, strconv.Itoa(len(left.Items)) + " NodeClaims left"
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// firstSeen returns seen, or how long after since list first has an item.
func firstSeen(ctx context.Context, c client.Client, list client.ObjectList, seen time.Duration, since time.Time) time.Duration {
	if seen != 0 {
		return seen
	}
	if err := c.List(ctx, list); err != nil || meta.LenList(list) == 0 {
		return 0
	}
	return time.Since(since)
}
