package chart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/stevedore-dev/stevedore/pkg/scheme"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

var env *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &env)) }

// Where the charts live, relative to the module root, and the release every test renders or installs.
const (
	chartDir    = "charts/stevedore"
	crdChartDir = "charts/stevedore-crd"
	releaseName = "stevedore"
	namespace   = "stevedore-system"
	clusterName = "test-cluster"
)

// helm runs the pinned helm binary from the module root with a scratch home, so the developer's repositories,
// plugins and kube contexts stay out of the tests.
type helm struct {
	bin, root, home string
}

// newHelm finds bin/helm, skipping the test with the way to build it when it is absent.
func newHelm(t *testing.T) *helm {
	t.Helper()
	root := moduleRoot(t)
	bin := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("skipping: %s not found; build the pinned helm with `make tools` (or `hack/tools.sh helm`)", bin)
	}
	return &helm{bin: bin, root: root, home: t.TempDir()}
}

// run runs helm and returns what it wrote; err is non-nil when it exited non-zero.
func (h *helm) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.CommandContext(test.Context(t), h.bin, args...)
	cmd.Dir = h.root
	cmd.Env = []string{
		"HOME=" + h.home,
		"HELM_CACHE_HOME=" + filepath.Join(h.home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(h.home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(h.home, "data"),
		"KUBECONFIG=" + h.kubeconfig(),
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return out.String(), errOut.String(), err
}

// mustRun runs helm and fails the test, showing helm's output, when it exits non-zero.
func (h *helm) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, err := h.run(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// template renders the stevedore chart as release releaseName in namespace with the given extra arguments
// (--set and friends) and decodes the result.
func (h *helm) template(t *testing.T, args ...string) manifests {
	t.Helper()
	base := []string{"template", releaseName, chartDir, "--namespace", namespace}
	return decode(t, h.mustRun(t, append(base, args...)...))
}

// kubeconfig is where helm finds the API server; writeKubeconfig fills it in.
func (h *helm) kubeconfig() string { return filepath.Join(h.home, "kubeconfig") }

// writeKubeconfig points helm at the API server cfg reaches, as the user cfg authenticates as (an admin).
func (h *helm) writeKubeconfig(t *testing.T, cfg *rest.Config) {
	t.Helper()
	server, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatalf("parsing the API server address %q: %v", cfg.Host, err)
	}
	if server.Scheme == "" {
		server = &url.URL{Scheme: "https", Host: cfg.Host}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: server.String(), CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["envtest"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
	}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "envtest"}
	kc.CurrentContext = "envtest"
	if err := clientcmd.WriteToFile(*kc, h.kubeconfig()); err != nil {
		t.Fatalf("writing kubeconfig: %v", err)
	}
}

// manifests are the objects a chart rendered, in order: built-in and Stevedore kinds as typed objects, others
// (the ServiceMonitor) as unstructured.
type manifests []runtime.Object

// decode splits helm's output into documents and decodes each strictly, so that a misspelt or misplaced field in
// a template fails here instead of being dropped silently by the API server.
func decode(t *testing.T, out string) manifests {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatalf("building scheme: %v", err)
	}
	strict := serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	var objs manifests
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("reading rendered YAML: %v", err)
		}
		var fields map[string]any
		if err := yaml.Unmarshal(doc, &fields); err != nil {
			t.Fatalf("rendered document is not YAML: %v\n%s", err, doc)
		}
		if len(fields) == 0 {
			continue // only "# Source:" comments
		}
		obj, _, err := strict.Decode(doc, nil, nil)
		if runtime.IsNotRegisteredError(err) {
			objs = append(objs, &unstructured.Unstructured{Object: fields})
			continue
		}
		if err != nil {
			t.Fatalf("decoding rendered document strictly: %v\n%s", err, doc)
		}
		objs = append(objs, obj)
	}
}

// all returns the objects of type T.
func all[T runtime.Object](m manifests) []T {
	var out []T
	for _, o := range m {
		if x, ok := o.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// one returns the only object of type T, failing the test when there is not exactly one.
func one[T runtime.Object](t *testing.T, m manifests) T {
	t.Helper()
	found := all[T](m)
	if len(found) != 1 {
		var zero T
		t.Fatalf("rendered %d objects of type %T, want 1", len(found), zero)
	}
	return found[0]
}

// moduleRoot is the directory holding go.mod, where the charts and bin/ are.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
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

// set is a --set flag and its value, to keep argument lists readable.
func set(key string, value any) []string { return []string{"--set", fmt.Sprintf("%s=%v", key, value)} }

// args joins flag groups into one argument list.
func args(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
