package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseManifests(t *testing.T) {
	good := `# leading comment
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
---
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
- {apiVersion: v1, kind: Secret, metadata: {name: d}}
`
	objs, err := parseManifests([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetName())
	}
	if want := "ConfigMap/a Namespace/b ConfigMap/c Secret/d"; strings.Join(got, " ") != want {
		t.Errorf("got %v; want %s", got, want)
	}
	if d, want := describeObjects(objs), "4 objects (2 ConfigMap, 1 Namespace, 1 Secret)"; d != want {
		t.Errorf("described as %q; want %q", d, want)
	}

	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"
	for _, tc := range []struct {
		name, manifests, want string
	}{
		{"malformed YAML", cm + "---\nkind: [unclosed\n", "document 2: "},
		{"no kind", cm + "---\n" + cm + "---\napiVersion: v1\nmetadata: {name: x}\n", "document 3: kind is missing"},
		{"no apiVersion", "kind: ConfigMap\nmetadata: {name: x}\n", "document 1: apiVersion is missing"},
		{"no name", cm + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n", "document 2: ConfigMap has no metadata.name"},
		{"a scalar", cm + "---\njust text\n", "document 2: not a Kubernetes object"},
		{"duplicate field", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: x}\n", "document 1: "},
		{"bad List item", "apiVersion: v1\nkind: List\nitems:\n- " + "{apiVersion: v1, metadata: {name: x}}\n", "document 1, item 1 of the List: kind is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseManifests([]byte(tc.manifests))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestManifestFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if _, err := ManifestFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v; want one naming %s", err, missing)
	}
	empty := writeFile(t, "empty.yaml", "# nothing here\n---\n")
	if _, err := ManifestFile(empty); err == nil || !strings.Contains(err.Error(), empty+": no Kubernetes objects") {
		t.Errorf("empty file: error %v; want one saying %s has no objects", err, empty)
	}
	bad := writeFile(t, "bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: x\n")
	if _, err := ManifestFile(bad); err == nil || !strings.Contains(err.Error(), bad+": document 2: apiVersion is missing") {
		t.Errorf("bad file: error %v; want one naming the file and document 2", err)
	}
}

// TestWaitForTimesOut drives the poll with a fake clock: the error says what was awaited and what was last seen.
func TestWaitForTimesOut(t *testing.T) {
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC))
	env := workloadEnv{clock: fc}
	checks := 0
	done := make(chan error, 1)
	go func() {
		done <- waitFor(t.Context(), env, time.Second, 10*time.Second, "the pods to run", func(context.Context) (bool, string, error) {
			checks++
			return false, "2 of 3 running", nil
		})
	}()
	for {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "waiting 10s for the pods to run: last saw 2 of 3 running") {
				t.Fatalf("error %v; want a timeout naming the condition and the last sight", err)
			}
			if checks < 2 {
				t.Errorf("gave up after %d check; want it to poll until the timeout", checks)
			}
			return
		default:
			if fc.HasWaiters() {
				fc.Step(time.Second)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestWaitForStopsOnPermanentError(t *testing.T) {
	boom := errors.New("refused")
	env := workloadEnv{clock: clocktesting.NewFakeClock(time.Now())}
	err := waitFor(t.Context(), env, time.Second, time.Minute, "x", func(context.Context) (bool, string, error) { return false, "", boom })
	if !errors.Is(err, boom) {
		t.Errorf("error %v; want %v at once", err, boom)
	}
}

// workloadEnvFor reaches the shared sandbox as Run's workloads do, printing to out.
func workloadEnvFor(t *testing.T, out *syncBuffer) workloadEnv {
	return workloadEnv{
		client: sandboxClient(t), out: out, clock: clock.RealClock{}, kubeconfig: shared.info.Kubeconfig,
		price: priceFunc(onDemandPrices(DefaultRegion), shared.info.Simulator.SpotPrice, time.Now),
	}
}

// TestManifestWorkloadApplied applies a file with namespaced, defaulted and cluster-scoped objects to the shared
// sandbox, then a file the API server refuses, which stops that workload with a line saying why.
func TestManifestWorkloadApplied(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	path := writeFile(t, "workload.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: wl-file}
data: {mode: fast}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: wl-file-default}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: wl-file-high}
value: 1000
---
apiVersion: v1
kind: Namespace
metadata: {name: wl-file}
`)
	w, err := ManifestFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	env := workloadEnvFor(t, out)
	c := env.client
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		_ = c.Delete(ctx, &corev1.Namespace{ObjectMeta: objectMeta("", "wl-file")})
		_ = c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: objectMeta("default", "wl-file-default")})
		_ = c.Delete(ctx, &schedulingv1.PriorityClass{ObjectMeta: objectMeta("", "wl-file-high")})
	})
	// Twice, as a restart on the same state directory does: applying again is no conflict.
	for range 2 {
		<-startWorkload(ctx, Options{Workload: w, Out: out, Clock: clock.RealClock{}}, c, shared.info.Kubeconfig, env.price)
	}
	if want := path + ": applied 4 objects (2 ConfigMap, 1 PriorityClass, 1 Namespace)"; strings.Count(out.String(), want) != 2 {
		t.Fatalf("output does not say twice %q:\n%s", want, out)
	}
	settings := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "wl-file", Name: "settings"}, settings); err != nil {
		t.Fatalf("the ConfigMap in the file's namespace: %v", err)
	}
	if settings.Data["mode"] != "fast" || len(settings.ManagedFields) == 0 || settings.ManagedFields[0].Manager != fieldManager {
		t.Errorf("ConfigMap data %v, managed by %v; want mode=fast applied by %s", settings.Data, settings.ManagedFields, fieldManager)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "wl-file-default"}, &corev1.ConfigMap{}); err != nil {
		t.Errorf("the ConfigMap without a namespace is not in default: %v", err)
	}
	if err := c.Get(ctx, client.ObjectKey{Name: "wl-file-high"}, &schedulingv1.PriorityClass{}); err != nil {
		t.Errorf("the PriorityClass: %v", err)
	}

	refused, err := ManifestFile(writeFile(t, "refused.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_A_DNS_Name}\n"))
	if err != nil {
		t.Fatal(err)
	}
	<-startWorkload(ctx, Options{Workload: refused, Out: out, Clock: clock.RealClock{}}, c, shared.info.Kubeconfig, env.price)
	if want := "stopped: applying ConfigMap Not_A_DNS_Name: "; !strings.Contains(out.String(), want) {
		t.Errorf("output does not say %q:\n%s", want, out)
	}
}
