package chart

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/stevedore-dev/stevedore/pkg/apis/crds"
)

// TestChartCRDsAreTheGeneratedOnes is what hack/verify-chart-crds.sh checks: a chart with stale CRDs would let
// the API server accept objects the controller no longer understands, or reject ones it needs.
func TestChartCRDsAreTheGeneratedOnes(t *testing.T) {
	generated, err := crds.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(generated) == 0 {
		t.Fatal("no generated CRDs embedded in pkg/apis/crds")
	}
	root := moduleRoot(t)
	for _, dir := range []string{filepath.Join(chartDir, "crds"), filepath.Join(crdChartDir, "templates")} {
		t.Run(dir, func(t *testing.T) {
			entries, err := os.ReadDir(filepath.Join(root, dir))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			for name, want := range generated {
				got, err := os.ReadFile(filepath.Join(root, dir, name))
				if err != nil {
					t.Errorf("%s/%s: %v; run `make generate`", dir, name, err)
					continue
				}
				if string(got) != string(want) {
					t.Errorf("%s/%s differs from pkg/apis/crds/%s; run `make generate`", dir, name, name)
				}
			}
			for _, name := range names {
				if _, ok := generated[name]; !ok {
					t.Errorf("%s/%s has no generated counterpart in pkg/apis/crds; delete it", dir, name)
				}
			}
		})
	}
}

func TestCRDChartRendersEveryCRDAndNothingElse(t *testing.T) {
	h := newHelm(t)
	m := decode(t, h.mustRun(t, "template", "stevedore-crd", crdChartDir))
	defs, err := crds.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, d := range defs {
		want = append(want, d.Name)
	}
	for _, d := range all[*apiextensionsv1.CustomResourceDefinition](m) {
		got = append(got, d.Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) || len(m) != len(want) {
		t.Errorf("stevedore-crd renders %d objects with CRDs %v, want exactly the CRDs %v", len(m), got, want)
	}
}
