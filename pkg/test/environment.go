package test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/stevedore-dev/stevedore/pkg/apis/crds"
	"github.com/stevedore-dev/stevedore/pkg/scheme"
)

// Environment is a running kube-apiserver and etcd with Stevedore's CRDs installed.
type Environment struct {
	// Client talks to the API server directly (no cache), so a test reads its own writes.
	Client client.Client
	// Config reaches the API server, for informers and managers.
	Config *rest.Config
	// Scheme knows the built-in types and Stevedore's APIs.
	Scheme *runtime.Scheme
	// Clock is a fake clock for reconcilers under test; tests move it with Step and SetTime.
	Clock *clocktesting.FakeClock

	env *envtest.Environment
}

// Start launches a control plane. It needs kube-apiserver and etcd in bin/ (run `make tools`), or in the
// directory KUBEBUILDER_ASSETS names.
func Start() (*Environment, error) {
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	defs, err := crds.CRDs()
	if err != nil {
		return nil, err
	}
	assets, err := binaryAssets()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		Scheme:                   s,
		CRDs:                     defs,
		ErrorIfCRDPathMissing:    true,
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: 90 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	// Tests create objects in bursts; the default client-side limits (5 QPS) would make them crawl.
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("creating client: %w", err), env.Stop())
	}
	return &Environment{
		Client: c,
		Config: cfg,
		Scheme: s,
		Clock:  clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		env:    env,
	}, nil
}

// Stop shuts the control plane down.
func (e *Environment) Stop() error { return e.env.Stop() }

// Run starts one control plane for a whole test package, stores it in *env, runs the tests and stops it.
// Use it from TestMain: os.Exit(test.Run(m, &env)).
func Run(m *testing.M, env **Environment) int {
	e, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*env = e
	code := m.Run()
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping control plane: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Context returns a context that ends with the test, bounded so that a hung API call fails the test instead
// of the whole package.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// binaryAssets finds the directory holding kube-apiserver and etcd: KUBEBUILDER_ASSETS, else the bin/
// directory at the module root.
func binaryAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			bin := filepath.Join(dir, "bin")
			for _, b := range []string{"kube-apiserver", "etcd"} {
				if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
					return "", fmt.Errorf("%s not found in %s: run `make tools` to build the pinned control plane", b, bin)
				}
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set KUBEBUILDER_ASSETS to the directory holding kube-apiserver and etcd")
		}
		dir = parent
	}
}
