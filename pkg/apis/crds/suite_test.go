package crds_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/stevedore-dev/stevedore/pkg/apis/crds"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) {
	code := test.Run(m, &env)
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		code = checkEveryRuleProven()
	}
	os.Exit(code)
}

// proven collects the rejection fragments the cases asserted, to check that every CEL rule was exercised.
var proven struct {
	sync.Mutex
	fragments []string
}

func recordProven(fragments []string) {
	proven.Lock()
	defer proven.Unlock()
	proven.fragments = append(proven.fragments, fragments...)
}

// checkEveryRuleProven fails the package when a CEL rule in the CRDs has no rejection case: every rule's
// message (or, for a messageExpression, its longest literal) must appear in some asserted rejection.
func checkEveryRuleProven() int {
	defs, err := crds.CRDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	missing := 0
	for _, crd := range defs {
		for _, version := range crd.Spec.Versions {
			walkRules(version.Schema.OpenAPIV3Schema, func(rule apiextensionsv1.ValidationRule) {
				want := rule.Message
				if rule.MessageExpression != "" {
					want = longestLiteral(rule.MessageExpression)
				}
				for _, f := range proven.fragments {
					if len(f) >= 10 && (strings.Contains(want, f) || strings.Contains(f, want[:min(len(want), 20)])) {
						return
					}
				}
				missing++
				fmt.Fprintf(os.Stderr, "%s: no test case rejects an object with rule %q (message %q)\n", crd.Name, rule.Rule, want)
			})
		}
	}
	if missing > 0 {
		return 1
	}
	return 0
}

func walkRules(s *apiextensionsv1.JSONSchemaProps, visit func(apiextensionsv1.ValidationRule)) {
	if s == nil {
		return
	}
	for _, r := range s.XValidations {
		visit(r)
	}
	for _, p := range s.Properties {
		walkRules(&p, visit)
	}
	if s.Items != nil {
		walkRules(s.Items.Schema, visit)
	}
	if s.AdditionalProperties != nil {
		walkRules(s.AdditionalProperties.Schema, visit)
	}
}

// longestLiteral returns the longest single-quoted literal with a space in it (message text rather than a
// pattern) of a CEL expression.
func longestLiteral(expr string) string {
	best := ""
	for i, part := range strings.Split(expr, "'") {
		if i%2 == 1 && strings.Contains(part, " ") && len(part) > len(best) {
			best = part
		}
	}
	return strings.Trim(strings.ReplaceAll(best, `\"`, `"`), `" `)
}

// celCase is one object the API server must accept (no reject fragments) or reject with a message
// containing every fragment. Each CEL rule gets at least one case of each kind.
type celCase struct {
	name string
	// patch is a JSON merge patch (RFC 7386) applied to the valid base object; lists are replaced whole.
	patch string
	// reject lists fragments of the expected rejection, normally the field path and what is allowed.
	// Empty means the object must be accepted.
	reject []string
}

var nameSeq atomic.Int64

// runCELCases creates base+patch for each case against the real API server and checks the verdict.
func runCELCases(t *testing.T, base client.Object, cases []celCase) {
	t.Helper()
	raw, gvk := encode(t, base)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := patched(t, raw, gvk, tc.patch)
			ctx := test.Context(t)
			err := env.Client.Create(ctx, obj)
			if len(tc.reject) == 0 {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				_ = env.Client.Delete(ctx, obj)
				return
			}
			if err == nil {
				_ = env.Client.Delete(ctx, obj)
				t.Fatalf("want rejected with %q, got accepted", tc.reject)
			}
			test.ExpectInvalid(t, err, tc.reject...)
			recordProven(tc.reject)
		})
	}
}

// runUpdateCases creates base, then applies each case's patch as an update of the stored object.
func runUpdateCases(t *testing.T, base client.Object, cases []celCase) {
	t.Helper()
	raw, gvk := encode(t, base)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := test.Context(t)
			obj := patched(t, raw, gvk, "")
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatalf("creating the base object: %v", err)
			}
			t.Cleanup(func() { _ = env.Client.Delete(context.WithoutCancel(ctx), obj) })
			err := env.Client.Patch(ctx, obj, client.RawPatch("application/merge-patch+json", []byte(tc.patch)))
			if len(tc.reject) == 0 {
				if err != nil {
					t.Fatalf("want update accepted, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want update rejected with %q, got accepted", tc.reject)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want an Invalid error, got %v", err)
			}
			test.ExpectInvalid(t, err, tc.reject...)
			recordProven(tc.reject)
		})
	}
}

// patched returns the base JSON with patch merged in and a fresh name.
func patched(t *testing.T, base []byte, gvk schema.GroupVersionKind, patch string) *unstructured.Unstructured {
	t.Helper()
	doc := base
	if strings.TrimSpace(patch) != "" {
		var err error
		if doc, err = jsonpatch.MergePatch(base, []byte(patch)); err != nil {
			t.Fatalf("bad test patch %s: %v", patch, err)
		}
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(doc, &u.Object); err != nil {
		t.Fatalf("decoding patched object: %v", err)
	}
	u.SetName(fmt.Sprintf("cel-%d", nameSeq.Add(1)))
	u.SetResourceVersion("")
	u.SetGroupVersionKind(gvk)
	return u
}

// encode returns obj's JSON and its kind.
func encode(t *testing.T, obj client.Object) ([]byte, schema.GroupVersionKind) {
	t.Helper()
	gvk, err := apiutil.GVKForObject(obj, env.Scheme)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return raw, gvk
}
