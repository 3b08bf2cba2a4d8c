package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// mappingTimeout is how long an apply waits for the API to serve a kind, such as a custom resource whose CRD the
// same file defines a few documents earlier.
const mappingTimeout = time.Minute

// ManifestFile reads the Kubernetes objects of a YAML or JSON file, documents separated by "---", into a
// Workload that server-side applies them once the sandbox is ready. Any kind the API server serves may be
// applied; namespaced objects without a namespace go to "default". It reads the file now, so that a mistake is
// reported before anything starts, naming the file, the document (counted from 1) and the problem.
func ManifestFile(path string) (Workload, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Workload{}, fmt.Errorf("reading workload file: %w", err)
	}
	objs, err := parseManifests(data)
	if err != nil {
		return Workload{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(objs) == 0 {
		return Workload{}, fmt.Errorf("%s: no Kubernetes objects in the file", path)
	}
	return Workload{name: path, run: func(ctx context.Context, env workloadEnv) error {
		if err := applyAll(ctx, env, objs); err != nil {
			return err
		}
		env.say("%s: applied %s", path, describeObjects(objs))
		return nil
	}}, nil
}

// parseManifests splits data into documents and each into an object, expanding `kind: List` into its items.
// Empty documents are skipped but still counted, so that numbers match what the user sees between "---" lines.
func parseManifests(data []byte) ([]*unstructured.Unstructured, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		js, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		var v any
		if err := utiljson.Unmarshal(js, &v); err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if v == nil {
			continue // only comments
		}
		obj, err := object(v)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if obj.GetKind() != "List" {
			objs = append(objs, obj)
			continue
		}
		items, _, _ := unstructured.NestedSlice(obj.Object, "items")
		for i, item := range items {
			o, err := object(item)
			if err != nil {
				return nil, fmt.Errorf("document %d, item %d of the List: %w", doc, i+1, err)
			}
			objs = append(objs, o)
		}
	}
}

// object checks that v is what server-side apply needs: a map with apiVersion, kind and metadata.name.
func object(v any) (*unstructured.Unstructured, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a Kubernetes object but a %T", v)
	}
	u := &unstructured.Unstructured{Object: m}
	for _, field := range []string{"apiVersion", "kind"} {
		if s, ok := m[field].(string); !ok || s == "" {
			return nil, fmt.Errorf("%s is missing", field)
		}
	}
	if u.GetKind() != "List" && u.GetName() == "" {
		return nil, fmt.Errorf("%s has no metadata.name, which applying needs (generateName is not enough)", u.GetKind())
	}
	return u, nil
}

// applyAll server-side applies objs, Namespaces and CRDs first so that what lives in them can follow.
func applyAll(ctx context.Context, env workloadEnv, objs []*unstructured.Unstructured) error {
	first := func(o *unstructured.Unstructured) int {
		switch o.GetKind() {
		case "Namespace":
			return 0
		case "CustomResourceDefinition":
			return 1
		}
		return 2
	}
	ordered := slices.Clone(objs)
	slices.SortStableFunc(ordered, func(a, b *unstructured.Unstructured) int { return first(a) - first(b) })
	for _, o := range ordered {
		if err := apply(ctx, env, o.DeepCopy()); err != nil {
			return err
		}
	}
	return nil
}

// apply server-side applies one object, defaulting the namespace of a namespaced kind. A kind the API does not
// serve yet is retried for a while, since a CRD applied just before takes a moment to be established.
func apply(ctx context.Context, env workloadEnv, o *unstructured.Unstructured) error {
	what := o.GetKind() + " " + o.GetName()
	return waitFor(ctx, env, 500*time.Millisecond, mappingTimeout, "the API to serve "+o.GetAPIVersion()+" "+o.GetKind(),
		func(ctx context.Context) (bool, string, error) {
			namespaced, err := env.client.IsObjectNamespaced(o)
			if err != nil {
				return false, err.Error(), nil
			}
			if namespaced && o.GetNamespace() == "" {
				o.SetNamespace("default")
			}
			err = env.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(fieldManager), client.ForceOwnership)
			if meta.IsNoMatchError(err) {
				return false, err.Error(), nil
			}
			if err != nil {
				// Not retried: the API server rejected the object, which waiting will not change.
				return false, "", fmt.Errorf("applying %s: %w", what, err)
			}
			return true, "", nil
		})
}

// describeObjects counts objects by kind, in the order the kinds first appear: "3 objects (1 Namespace, 2
// Deployment)".
func describeObjects(objs []*unstructured.Unstructured) string {
	counts := map[string]int{}
	var kinds []string
	for _, o := range objs {
		if counts[o.GetKind()] == 0 {
			kinds = append(kinds, o.GetKind())
		}
		counts[o.GetKind()]++
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	noun := "objects"
	if len(objs) == 1 {
		noun = "object"
	}
	return fmt.Sprintf("%d %s (%s)", len(objs), noun, strings.Join(parts, ", "))
}
