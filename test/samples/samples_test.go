package samples

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// samplesPath is where the website keeps its samples, relative to the module root.
const samplesPath = "website/content/docs/samples"

// expectPrefix starts a comment line naming a fragment of the API server's rejection message.
const expectPrefix = "# expect:"

// minInvalid is how many invalid samples of each kind must exist, so that an emptied or misplaced directory
// cannot pass.
var minInvalid = map[string]int{"NodePool": 4, "EC2NodeClass": 4, "NodeClaim": 2}

// strict makes the API server reject unknown and duplicate fields, as `kubectl apply` does by default; without
// it a misspelt field would be pruned silently and the sample would pass while meaning something else.
var strict = client.FieldValidation("Strict")

// sample is one YAML file: its objects in order and the fragments its rejection must contain.
type sample struct {
	name    string
	objects []*unstructured.Unstructured
	expect  []string
}

func TestValidSamples(t *testing.T) {
	samples := load(t, filepath.Join(moduleRoot(t), samplesPath))
	kinds := map[string]int{}
	for _, s := range samples {
		for _, o := range s.objects {
			kinds[o.GetKind()]++
		}
		t.Run(s.name, func(t *testing.T) {
			if len(s.expect) > 0 {
				t.Fatalf("a valid sample has %q lines %q; move it to invalid/ or remove them", expectPrefix, s.expect)
			}
			ctx := test.Context(t)
			for _, o := range s.objects {
				if err := create(ctx, t, o); err != nil {
					t.Fatalf("creating %s %s: got %v, want it accepted", o.GetKind(), o.GetName(), err)
				}
			}
		})
	}
	for kind := range minInvalid {
		if kinds[kind] == 0 {
			t.Errorf("no valid %s sample in %s", kind, samplesPath)
		}
	}
}

func TestInvalidSamples(t *testing.T) {
	samples := load(t, filepath.Join(moduleRoot(t), samplesPath, "invalid"))
	kinds := map[string]int{}
	for _, s := range samples {
		if len(s.objects) == 1 {
			kinds[s.objects[0].GetKind()]++
		}
		t.Run(s.name, func(t *testing.T) {
			if len(s.objects) != 1 {
				t.Fatalf("got %d objects, want exactly 1: an invalid sample shows one mistake", len(s.objects))
			}
			if len(s.expect) == 0 {
				t.Fatalf("no %q line: say what the API server answers", expectPrefix)
			}
			o := s.objects[0]
			err := create(test.Context(t), t, o)
			if err == nil {
				t.Fatalf("creating %s %s: accepted, want rejection containing %q", o.GetKind(), o.GetName(), s.expect)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("creating %s %s: got %v, want an Invalid error", o.GetKind(), o.GetName(), err)
			}
			t.Logf("rejected: %v", err)
			for _, f := range s.expect {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not contain %q", err.Error(), f)
				}
			}
		})
	}
	for kind, want := range minInvalid {
		if got := kinds[kind]; got < want {
			t.Errorf("got %d invalid %s samples, want at least %d", got, kind, want)
		}
	}
}

// create creates a copy of obj (defaulting the namespace of namespaced kinds) and, if the API server accepts
// it, deletes it when the test ends so that samples sharing a name do not collide.
func create(ctx context.Context, t *testing.T, obj *unstructured.Unstructured) error {
	t.Helper()
	o := obj.DeepCopy()
	namespaced, err := env.Client.IsObjectNamespaced(o)
	if err != nil {
		return fmt.Errorf("looking up the scope of %s: %w", o.GroupVersionKind(), err)
	}
	if namespaced && o.GetNamespace() == "" {
		o.SetNamespace(test.DefaultNamespace)
	}
	if err := env.Client.Create(ctx, o, strict); err != nil {
		return err
	}
	t.Cleanup(func() {
		// The test's context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := env.Client.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	})
	return nil
}

// load parses every .yaml file directly in dir, sorted by name. It fails the test on a file that does not
// start with a comment explaining it, holds no object, or has an expect line outside its leading comment.
func load(t *testing.T, dir string) []sample {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	if len(paths) == 0 {
		t.Fatalf("no samples in %s", dir)
	}
	samples := make([]sample, 0, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
		s, err := parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		s.name = filepath.Base(p)
		samples = append(samples, s)
	}
	return samples
}

// parse reads the leading comment block of a file for expect lines and decodes each YAML document in it.
func parse(raw []byte) (sample, error) {
	var s sample
	if !bytes.HasPrefix(raw, []byte("#")) {
		return s, errors.New("does not start with a comment explaining the sample")
	}
	leading := true
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if leading && trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			leading = false
		}
		if !strings.HasPrefix(trimmed, expectPrefix) {
			continue
		}
		if !leading {
			return s, fmt.Errorf("%q line %q is not in the leading comment", expectPrefix, trimmed)
		}
		fragment := strings.TrimSpace(strings.TrimPrefix(trimmed, expectPrefix))
		if fragment == "" {
			return s, fmt.Errorf("empty %q line", expectPrefix)
		}
		s.expect = append(s.expect, fragment)
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for i := 0; ; i++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s, fmt.Errorf("reading document %d: %w", i, err)
		}
		// Strict: a key given twice is a mistake in the sample, not something to resolve silently.
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return s, fmt.Errorf("decoding document %d: %w", i, err)
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue // only comments, or an empty document between separators
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(j); err != nil {
			return s, fmt.Errorf("decoding document %d: %w", i, err)
		}
		if o.GetName() == "" {
			return s, fmt.Errorf("document %d has no metadata.name", i)
		}
		s.objects = append(s.objects, o)
	}
	if len(s.objects) == 0 {
		return s, errors.New("holds no object")
	}
	return s, nil
}

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("finding the working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
