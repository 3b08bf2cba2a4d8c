package ami_test

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

var (
	standard = corev1.NodeSelectorRequirement{Key: awsv1.LabelInstanceGPUCount, Operator: corev1.NodeSelectorOpDoesNotExist}
	nvidia   = []corev1.NodeSelectorRequirement{
		{Key: awsv1.LabelInstanceGPUCount, Operator: corev1.NodeSelectorOpExists},
		{Key: awsv1.LabelInstanceGPUManufacturer, Operator: corev1.NodeSelectorOpIn, Values: []string{"nvidia"}},
	}
)

func TestAlias(t *testing.T) {
	e := start(t)
	al2023 := func(k8s, stamp string, deprecated bool) map[string]awsv1.AMI {
		out := map[string]awsv1.AMI{}
		for arch, label := range map[string]string{"x86_64": "amd64", "arm64": "arm64"} {
			for variant, extra := range map[string][]corev1.NodeSelectorRequirement{"standard": {standard}, "nvidia": nvidia} {
				name := "amazon-eks-node-al2023-" + arch + "-" + variant + "-" + k8s + "-" + stamp
				out[name] = awsv1.AMI{ID: e.id(t, name), Name: name, Deprecated: deprecated,
					Requirements: append(archRequirement(label), extra...)}
			}
		}
		return out
	}
	bottlerocket := func(k8s, version, stamp string, deprecated bool) map[string]awsv1.AMI {
		out := map[string]awsv1.AMI{}
		for arch, label := range map[string]string{"x86_64": "amd64", "aarch64": "arm64"} {
			name := "bottlerocket-aws-k8s-" + k8s + "-" + arch + "-" + version + "-" + stamp
			out[name] = awsv1.AMI{ID: e.id(t, name), Name: name, Deprecated: deprecated, Requirements: archRequirement(label)}
		}
		return out
	}
	for _, tc := range []struct {
		alias, k8s string
		want       map[string]awsv1.AMI
	}{
		{"al2023@latest", "1.37", al2023("1.37", "v20251209", false)},
		{"al2023@latest", "1.35", al2023("1.35", "v20250610", true)},
		{"al2023@v20251209", "1.37", al2023("1.37", "v20251209", false)},
		// A pinned release keeps resolving after its images are deprecated.
		{"al2023@v20241210", "1.33", al2023("1.33", "v20241210", true)},
		{"bottlerocket@latest", "1.37", bottlerocket("1.37", "v1.52.0", "20251209", false)},
		{"bottlerocket@v1.46.0", "1.35", bottlerocket("1.35", "v1.46.0", "20250610", true)},
	} {
		t.Run(tc.alias+" "+tc.k8s, func(t *testing.T) {
			got, err := e.provider.Resolve(t.Context(), nodeClass(awsv1.AMISelectorTerm{Alias: tc.alias}), tc.k8s)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %d images", names(got), len(tc.want))
			}
			for _, a := range got {
				want, ok := tc.want[a.Name]
				if !ok {
					t.Errorf("unexpected image %s", a.Name)
					continue
				}
				if a.ID != want.ID || a.Deprecated != want.Deprecated || !slices.EqualFunc(a.Requirements, want.Requirements, equalRequirement) {
					t.Errorf("got %+v, want %+v", a, want)
				}
			}
		})
	}
}

func TestAliasWithoutImagesIsAnError(t *testing.T) {
	e := start(t)
	for _, tc := range []struct{ alias, k8s string }{
		{"al2023@latest", "1.20"},
		{"bottlerocket@latest", "1.20"},
		{"al2023@v20251209", "1.36"}, // the release exists, but not for this Kubernetes version
		{"bottlerocket@v9.9.9", "1.37"},
	} {
		t.Run(tc.alias+" "+tc.k8s, func(t *testing.T) {
			got, err := e.provider.Resolve(t.Context(), nodeClass(awsv1.AMISelectorTerm{Alias: tc.alias}), tc.k8s)
			if err == nil {
				t.Fatalf("got %v, want an error", names(got))
			}
			if msg := err.Error(); !strings.Contains(msg, tc.alias) || !strings.Contains(msg, "Kubernetes "+tc.k8s) {
				t.Errorf("error %q does not name the alias and the Kubernetes version", msg)
			}
		})
	}
}

func TestAliasFailureIsNotCached(t *testing.T) {
	e := start(t)
	nc := nodeClass(awsv1.AMISelectorTerm{Alias: "bottlerocket@latest"})
	if _, err := e.provider.Resolve(t.Context(), nc, "1.38"); err == nil {
		t.Fatal("want an error before Kubernetes 1.38 images are published")
	}
	// Publishing the parameter is enough for the next resolve to find the image.
	id := e.id(t, "bottlerocket-aws-k8s-1.37-x86_64-v1.52.0-20251209")
	e.sim.SetParameter("/aws/service/bottlerocket/aws-k8s-1.38/x86_64/latest/image_id", id)
	got, err := e.provider.Resolve(t.Context(), nc, "1.38")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != id {
		t.Errorf("got %v, want the x86_64 image only", names(got))
	}
}

func TestSSMParameter(t *testing.T) {
	e := start(t)
	const name = "amazon-eks-node-al2023-arm64-standard-1.36-v20250909"
	e.sim.SetParameter("/team/node-image", e.id(t, name))
	got, err := e.provider.Resolve(t.Context(), nodeClass(
		awsv1.AMISelectorTerm{SSMParameter: "/team/node-image"},
		awsv1.AMISelectorTerm{SSMParameter: "/team/missing"},
	), "1.37")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != name || !got[0].Deprecated ||
		!slices.EqualFunc(got[0].Requirements, archRequirement("arm64"), equalRequirement) {
		t.Errorf("got %+v, want the deprecated arm64 image %s", got, name)
	}
	// A public parameter works the same way.
	got, err = e.provider.Resolve(t.Context(), nodeClass(awsv1.AMISelectorTerm{
		SSMParameter: "/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/x86_64/nvidia/recommended/image_id",
	}), "1.37")
	if err != nil {
		t.Fatal(err)
	}
	if want := "amazon-eks-node-al2023-x86_64-nvidia-1.37-v20251209"; len(got) != 1 || got[0].Name != want {
		t.Errorf("got %v, want [%s]", names(got), want)
	}
}
