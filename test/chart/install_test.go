package chart

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stevedore-dev/stevedore/pkg/apis/crds"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// serviceAccountName is the name of the chart's only ServiceAccount.
func serviceAccountName(t *testing.T, m manifests) string {
	t.Helper()
	return one[*corev1.ServiceAccount](t, m).Name
}

// access is one request the controller's ServiceAccount might make.
type access struct {
	namespace string // "" for cluster-scoped resources and for every namespace at once, as informers list
	group     string
	resource  string // with its subresource after a slash, such as pods/eviction
	verb      string
	path      string // a non-resource URL instead of a resource
}

func (a access) String() string {
	if a.path != "" {
		return a.verb + " " + a.path
	}
	where := "in every namespace"
	if a.namespace != "" {
		where = "in " + a.namespace
	}
	resource := a.resource // as kubectl names it: pods, deployments.apps, leases.coordination.k8s.io
	if a.group != "" {
		resource += "." + a.group
	}
	return a.verb + " " + resource + " " + where
}

// allowed asks the API server's authorizer whether user may make the request. The review names the user and no
// groups, so the cluster's default bindings for system:authenticated and system:serviceaccounts (discovery,
// /version) do not answer for the chart: only its own bindings can allow.
func allowed(ctx context.Context, t *testing.T, user string, a access) bool {
	t.Helper()
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user}}
	if a.path != "" {
		review.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: a.path, Verb: a.verb}
	} else {
		resource, sub, _ := strings.Cut(a.resource, "/")
		review.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Namespace: a.namespace, Group: a.group, Resource: resource, Subresource: sub, Verb: a.verb,
		}
	}
	if err := env.Client.Create(ctx, review); err != nil {
		t.Fatalf("reviewing %s: %v", a, err)
	}
	return review.Status.Allowed
}

func TestInstalledServiceAccountCanDoExactlyItsJob(t *testing.T) {
	h := newHelm(t)
	h.writeKubeconfig(t, env.Config)
	ctx := test.Context(t)

	// The CRD chart first, as teams that upgrade CRDs with Helm install it. The API server already holds the CRDs
	// (the harness installs them), as a cluster does after an install from the stevedore chart's crds/: taking
	// ownership is the documented move to the CRD chart, and applies the chart's CRDs over them.
	h.mustRun(t, "install", "stevedore-crd", crdChartDir, "--namespace", namespace, "--create-namespace", "--take-ownership")
	// What those teams run at every release; it must go through with nothing to change.
	h.mustRun(t, "upgrade", "stevedore-crd", crdChartDir, "--namespace", namespace)
	out := h.mustRun(t, "install", releaseName, chartDir, "--namespace", namespace, "--skip-crds",
		"--set", "settings.clusterName="+clusterName,
		"--set", `serviceAccount.annotations.eks\.amazonaws\.com/role-arn=`+roleARN)
	// The notes say what was installed and what to do next: without a node class and a pool nothing happens.
	test.ExpectContains(t, "helm install's notes", out, []string{
		"for cluster " + clusterName, roleARN + " (IRSA)", "EC2NodeClass", "NodePool", "website/content/docs/samples/",
	})

	defs, err := crds.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range defs {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Client.Get(ctx, types.NamespacedName{Name: def.Name}, crd); err != nil {
			t.Fatalf("getting CRD %s: %v", def.Name, err)
		}
		if got := crd.Annotations["meta.helm.sh/release-name"]; got != "stevedore-crd" {
			t.Errorf("CRD %s belongs to release %q, want stevedore-crd", def.Name, got)
		}
	}
	d := &appsv1.Deployment{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: releaseName}, d); err != nil {
		t.Fatalf("getting the installed Deployment: %v", err)
	}
	if got := envValue(d, "CLUSTER_NAME"); got != clusterName {
		t.Errorf("installed Deployment has CLUSTER_NAME %q, want %q", got, clusterName)
	}
	sa := &corev1.ServiceAccount{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: releaseName}, sa); err != nil {
		t.Fatalf("getting the installed ServiceAccount: %v", err)
	}
	if sa.Annotations["eks.amazonaws.com/role-arn"] != roleARN {
		t.Errorf("installed ServiceAccount annotations = %v, want the IRSA role %s", sa.Annotations, roleARN)
	}
	user := "system:serviceaccount:" + namespace + ":" + sa.Name

	t.Run("pod meets the restricted Pod Security Standard", func(t *testing.T) {
		// The API server's PodSecurity admission judges a pod made from the Deployment's template in a namespace
		// that enforces "restricted", as a locked-down cluster would; a dry run leaves nothing behind.
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
			t.Fatal(err)
		}
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
		if err := env.Client.Update(ctx, ns); err != nil {
			t.Fatalf("enforcing the restricted profile on %s: %v", namespace, err)
		}
		pod := &corev1.Pod{ObjectMeta: *d.Spec.Template.ObjectMeta.DeepCopy(), Spec: *d.Spec.Template.Spec.DeepCopy()}
		pod.Namespace, pod.Name = namespace, "pod-security-check"
		if err := env.Client.Create(ctx, pod, client.DryRunAll); err != nil {
			t.Errorf("creating the controller's pod where the restricted profile is enforced: %v", err)
		}
	})

	t.Run("can", func(t *testing.T) {
		var can []access
		for _, g := range clusterGrants() {
			for _, v := range g.verbs {
				can = append(can, access{group: g.group, resource: g.resource, path: g.path, verb: v})
			}
		}
		for _, g := range namespaceGrants() {
			for _, v := range g.verbs {
				can = append(can, access{namespace: namespace, group: g.group, resource: g.resource, verb: v})
			}
		}
		// Namespaced resources granted cluster-wide are allowed in any one namespace too.
		can = append(can, access{namespace: "default", resource: "pods/eviction", verb: "create"},
			access{namespace: "default", group: "policy", resource: "poddisruptionbudgets", verb: "list"})
		for _, a := range can {
			if !allowed(ctx, t, user, a) {
				t.Errorf("%s may not %s; the controller needs it", user, a)
			}
		}
	})

	t.Run("cannot", func(t *testing.T) {
		for _, a := range []access{
			{namespace: namespace, resource: "secrets", verb: "get"},
			{resource: "secrets", verb: "list"},
			{namespace: "default", resource: "pods", verb: "create"},
			{resource: "pods", verb: "patch"},
			{resource: "pods", verb: "update"},
			{resource: "namespaces", verb: "delete"},
			{namespace: namespace, group: "apps", resource: "deployments", verb: "update"},
			{namespace: "default", group: "apps", resource: "daemonsets", verb: "create"},
			{resource: "nodes/proxy", verb: "get"},
			{resource: "nodes/status", verb: "patch"},
			{namespace: namespace, resource: "serviceaccounts/token", verb: "create"},
			{resource: "configmaps", verb: "list"},
			{namespace: "default", resource: "configmaps", verb: "get"},
			{namespace: "default", group: "coordination.k8s.io", resource: "leases", verb: "update"},
			{group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", verb: "create"},
			{group: "rbac.authorization.k8s.io", resource: "clusterroles", verb: "escalate"},
			{group: "apiextensions.k8s.io", resource: "customresourcedefinitions", verb: "delete"},
			{group: "aws.stevedore.dev", resource: "ec2nodeclasses", verb: "create"},
			{group: "aws.stevedore.dev", resource: "ec2nodeclasses", verb: "delete"},
			{resource: "persistentvolumes", verb: "delete"},
			{group: "storage.k8s.io", resource: "volumeattachments", verb: "delete"},
			{path: "/metrics", verb: "get"},
		} {
			if allowed(ctx, t, user, a) {
				t.Errorf("%s may %s; the controller must not", user, a)
			}
		}
	})
}
