package chart

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// grant is one permission the controller needs: verbs on a resource (with its subresource after a slash) of an
// API group, or verbs on a non-resource URL when path is set.
type grant struct {
	group, resource string
	path            string
	verbs           []string
}

// clusterGrants is everything the controller needs across the cluster, written out independently of the chart so
// that a change to the chart's ClusterRole has to change this list too. Users audit it.
func clusterGrants() []grant {
	read := []string{"get", "list", "watch"}
	write := []string{"get", "list", "watch", "create", "patch", "update", "delete"}
	status := []string{"get", "patch", "update"}
	return []grant{
		{group: "", resource: "pods", verbs: []string{"get", "list", "watch", "delete"}},
		{group: "", resource: "pods/eviction", verbs: []string{"create"}},
		{group: "", resource: "nodes", verbs: write},
		{group: "", resource: "persistentvolumeclaims", verbs: read},
		{group: "", resource: "persistentvolumes", verbs: read},
		{group: "", resource: "events", verbs: []string{"create", "patch"}},
		{group: "events.k8s.io", resource: "events", verbs: []string{"create", "patch"}},
		{group: "apps", resource: "daemonsets", verbs: []string{"list", "watch"}},
		{group: "policy", resource: "poddisruptionbudgets", verbs: read},
		{group: "storage.k8s.io", resource: "storageclasses", verbs: read},
		{group: "storage.k8s.io", resource: "volumeattachments", verbs: read},
		{group: "storage.k8s.io", resource: "csinodes", verbs: read},
		{group: "stevedore.dev", resource: "nodepools", verbs: write},
		{group: "stevedore.dev", resource: "nodepools/status", verbs: status},
		{group: "stevedore.dev", resource: "nodeclaims", verbs: write},
		{group: "stevedore.dev", resource: "nodeclaims/status", verbs: status},
		{group: "aws.stevedore.dev", resource: "ec2nodeclasses", verbs: []string{"get", "list", "watch", "patch", "update"}},
		{group: "aws.stevedore.dev", resource: "ec2nodeclasses/status", verbs: status},
		{group: "apiextensions.k8s.io", resource: "customresourcedefinitions", verbs: read},
		{path: "/version", verbs: []string{"get"}},
	}
}

// namespaceGrants is everything the controller needs in its own namespace: the leader election Lease and
// configuration.
func namespaceGrants() []grant {
	return []grant{
		{group: "coordination.k8s.io", resource: "leases", verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
		{group: "", resource: "configmaps", verbs: []string{"get", "list", "watch"}},
	}
}

// permissions flattens grants to "group resource verb" strings (or "url verb"), the unit RBAC allows.
func permissions(grants []grant) []string {
	var out []string
	for _, g := range grants {
		for _, v := range g.verbs {
			if g.path != "" {
				out = append(out, g.path+" "+v)
			} else {
				out = append(out, fmt.Sprintf("%q %s %s", g.group, g.resource, v))
			}
		}
	}
	slices.Sort(out)
	return out
}

// rulePermissions flattens RBAC rules the same way, failing on any wildcard.
func rulePermissions(t *testing.T, rules []rbacv1.PolicyRule) []string {
	t.Helper()
	set := map[string]bool{}
	for _, r := range rules {
		all := slices.Concat(r.APIGroups, r.Resources, r.Verbs, r.NonResourceURLs)
		if slices.ContainsFunc(all, func(s string) bool { return strings.Contains(s, "*") }) {
			t.Errorf("rule %+v has a wildcard; grant exactly what the controller uses", r)
		}
		if len(r.ResourceNames) > 0 {
			t.Errorf("rule %+v has resourceNames, which this test does not model", r)
		}
		for _, v := range r.Verbs {
			for _, u := range r.NonResourceURLs {
				set[u+" "+v] = true
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					set[fmt.Sprintf("%q %s %s", g, res, v)] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func TestRBACGrantsExactlyWhatTheControllerNeeds(t *testing.T) {
	h := newHelm(t)
	m := h.template(t, set("settings.clusterName", clusterName)...)
	role := one[*rbacv1.ClusterRole](t, m)
	nsRole := one[*rbacv1.Role](t, m)
	sa := serviceAccountName(t, m)

	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"ClusterRole", rulePermissions(t, role.Rules), permissions(clusterGrants())},
		{"Role", rulePermissions(t, nsRole.Rules), permissions(namespaceGrants())},
	} {
		for _, p := range c.got {
			if !slices.Contains(c.want, p) {
				t.Errorf("%s grants %s, which the controller does not need", c.name, p)
			}
		}
		for _, p := range c.want {
			if !slices.Contains(c.got, p) {
				t.Errorf("%s lacks %s, which the controller needs", c.name, p)
			}
		}
	}
	if nsRole.Namespace != namespace {
		t.Errorf("Role is in namespace %q, want the release namespace %q", nsRole.Namespace, namespace)
	}

	crb := one[*rbacv1.ClusterRoleBinding](t, m)
	rb := one[*rbacv1.RoleBinding](t, m)
	for _, b := range []struct {
		kind     string
		ref      rbacv1.RoleRef
		subjects []rbacv1.Subject
		wantRef  string
	}{
		{"ClusterRoleBinding", crb.RoleRef, crb.Subjects, "ClusterRole/" + role.Name},
		{"RoleBinding", rb.RoleRef, rb.Subjects, "Role/" + nsRole.Name},
	} {
		want := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: namespace}}
		if got := b.ref.Kind + "/" + b.ref.Name; got != b.wantRef || !slices.Equal(b.subjects, want) {
			t.Errorf("%s binds %s to %+v, want %s to %+v", b.kind, got, b.subjects, b.wantRef, want)
		}
	}
}
