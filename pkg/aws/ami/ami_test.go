package ami_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/ami"
)

func archRequirement(arch string) []corev1.NodeSelectorRequirement {
	return []corev1.NodeSelectorRequirement{{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{arch}}}
}

func TestSelectByIDNameAndOwner(t *testing.T) {
	e := start(t)
	const (
		al2023x86 = "amazon-eks-node-al2023-x86_64-standard-1.37-v20251209"
		al2023arm = "amazon-eks-node-al2023-arm64-nvidia-1.37-v20251209"
		brARM     = "bottlerocket-aws-k8s-1.37-aarch64-v1.52.0-20251209"
	)
	for _, tc := range []struct {
		name  string
		terms []awsv1.AMISelectorTerm
		want  []string
	}{
		{"id", []awsv1.AMISelectorTerm{{ID: e.id(t, brARM)}}, []string{brARM}},
		{"exact name", []awsv1.AMISelectorTerm{{Name: al2023x86}}, []string{al2023x86}},
		{"name with a wildcard", []awsv1.AMISelectorTerm{{Name: "amazon-eks-node-al2023-*-1.37-v2025*"}},
			[]string{"amazon-eks-node-al2023-arm64-nvidia-1.37-v20251209", "amazon-eks-node-al2023-arm64-standard-1.37-v20251209",
				"amazon-eks-node-al2023-x86_64-nvidia-1.37-v20251209", al2023x86}},
		{"owner account", []awsv1.AMISelectorTerm{{Name: al2023x86, Owner: "602401143452"}}, []string{al2023x86}},
		{"other owner account", []awsv1.AMISelectorTerm{{Name: al2023x86, Owner: "092701018921"}}, []string{}},
		{"owner self owns no public image", []awsv1.AMISelectorTerm{{Name: al2023x86, Owner: "self"}}, []string{}},
		{"terms are ORed, newest first", []awsv1.AMISelectorTerm{{Name: al2023arm}, {ID: e.id(t, brARM)}, {Name: "no-such-image"}},
			[]string{brARM, al2023arm}}, // Bottlerocket images were built two hours later
		{"overlapping terms list an image once", []awsv1.AMISelectorTerm{{Name: al2023x86}, {ID: e.id(t, al2023x86)}}, []string{al2023x86}},
		{"unknown name", []awsv1.AMISelectorTerm{{Name: "ubuntu-*"}}, []string{}},
		{"unknown id", []awsv1.AMISelectorTerm{{ID: "ami-00000000000000000"}}, []string{}},
		// The simulator's images carry no tags, so a tags term finds nothing and that is not an error.
		{"tags", []awsv1.AMISelectorTerm{{Tags: map[string]string{"team": "*"}}}, []string{}},
		{"tags and name", []awsv1.AMISelectorTerm{{Name: al2023x86, Tags: map[string]string{"team": "web"}}}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.provider.Resolve(t.Context(), nodeClass(tc.terms...), "1.37")
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("got nil, want an empty slice when nothing matches")
			}
			gotNames := names(got)
			if tc.name == "name with a wildcard" {
				slices.Sort(gotNames) // all four were built at the same time
			}
			if !slices.Equal(gotNames, tc.want) {
				t.Errorf("got %v, want %v", gotNames, tc.want)
			}
		})
	}
}

func TestImageDetails(t *testing.T) {
	e := start(t)
	const name = "bottlerocket-aws-k8s-1.37-aarch64-v1.52.0-20251209"
	got, err := e.provider.Resolve(t.Context(), nodeClass(awsv1.AMISelectorTerm{Name: name}), "1.37")
	if err != nil {
		t.Fatal(err)
	}
	want := awsv1.AMI{ID: e.id(t, name), Name: name, Requirements: archRequirement("arm64")}
	if len(got) != 1 || got[0].ID != want.ID || got[0].Name != name || got[0].Deprecated ||
		!slices.EqualFunc(got[0].Requirements, want.Requirements, equalRequirement) {
		t.Errorf("got %+v, want [%+v]", got, want)
	}
}

func TestDeprecatedImagesComeLast(t *testing.T) {
	e := start(t)
	got, err := e.provider.Resolve(t.Context(), nodeClass(awsv1.AMISelectorTerm{Name: "amazon-eks-node-al2023-x86_64-standard-*"}), "1.37")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"amazon-eks-node-al2023-x86_64-standard-1.37-v20251209",
		"amazon-eks-node-al2023-x86_64-standard-1.36-v20250909",
		"amazon-eks-node-al2023-x86_64-standard-1.35-v20250610",
		"amazon-eks-node-al2023-x86_64-standard-1.34-v20250311",
		"amazon-eks-node-al2023-x86_64-standard-1.33-v20241210",
	}
	if !slices.Equal(names(got), want) {
		t.Fatalf("got %v, want %v", names(got), want)
	}
	for i, a := range got {
		if wantDeprecated := i > 0; a.Deprecated != wantDeprecated {
			t.Errorf("%s: deprecated %v, want %v", a.Name, a.Deprecated, wantDeprecated)
		}
	}
}

func TestCacheExpiresAfterAMinute(t *testing.T) {
	e := start(t)
	nc := nodeClass(awsv1.AMISelectorTerm{Name: "amazon-eks-node-al2023-*-1.37-*"})
	resolve := func(version string) {
		t.Helper()
		got, err := e.provider.Resolve(t.Context(), nc, version)
		if err != nil || len(got) != 4 {
			t.Fatalf("got %v, %v; want four images", names(got), err)
		}
	}
	resolve("1.37")
	resolve("1.37")
	if got := e.calls.describes.Load(); got != 1 {
		t.Fatalf("after two resolves: %d DescribeImages calls, want 1", got)
	}
	e.clock.Step(59 * time.Second)
	resolve("1.37")
	if got := e.calls.describes.Load(); got != 1 {
		t.Fatalf("within a minute: %d DescribeImages calls, want 1", got)
	}
	resolve("1.36") // another Kubernetes version is another answer
	if got := e.calls.describes.Load(); got != 2 {
		t.Fatalf("after a version change: %d DescribeImages calls, want 2", got)
	}
	e.clock.Step(time.Second)
	resolve("1.37")
	if got := e.calls.describes.Load(); got != 3 {
		t.Fatalf("after a minute: %d DescribeImages calls, want 3", got)
	}
}

func TestCallerCannotChangeCachedAnswer(t *testing.T) {
	e := start(t)
	nc := nodeClass(awsv1.AMISelectorTerm{Name: "amazon-eks-node-al2023-x86_64-standard-1.37-*"})
	first, err := e.provider.Resolve(t.Context(), nc, "1.37")
	if err != nil || len(first) != 1 {
		t.Fatalf("got %v, %v", first, err)
	}
	first[0].Requirements[0].Values[0] = "s390x"
	second, err := e.provider.Resolve(t.Context(), nc, "1.37")
	if err != nil {
		t.Fatal(err)
	}
	if v := second[0].Requirements[0].Values[0]; v != "amd64" {
		t.Errorf("got arch %s, want the cached answer unchanged", v)
	}
}

func TestFailureIsNotCached(t *testing.T) {
	e := start(t)
	nc := nodeClass(awsv1.AMISelectorTerm{Name: "amazon-eks-node-al2023-x86_64-standard-1.37-*"})
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.provider.Resolve(cancelled, nc, "1.37"); err == nil {
		t.Fatal("want an error from a cancelled call")
	}
	if got, err := e.provider.Resolve(t.Context(), nc, "1.37"); err != nil || len(got) != 1 {
		t.Errorf("after a failure: got %v, %v; want the image", names(got), err)
	}
}

func TestFamily(t *testing.T) {
	for _, tc := range []struct {
		name   string
		term   awsv1.AMISelectorTerm
		family *string
		want   string
	}{
		{"al2023 alias", awsv1.AMISelectorTerm{Alias: "al2023@latest"}, nil, awsv1.AMIFamilyAL2023},
		{"bottlerocket alias", awsv1.AMISelectorTerm{Alias: "bottlerocket@v1.52.0"}, nil, awsv1.AMIFamilyBottlerocket},
		{"id with Bottlerocket", awsv1.AMISelectorTerm{ID: "ami-0123"}, ptr.To(awsv1.AMIFamilyBottlerocket), awsv1.AMIFamilyBottlerocket},
		{"name with Custom", awsv1.AMISelectorTerm{Name: "my-image-*"}, ptr.To(awsv1.AMIFamilyCustom), awsv1.AMIFamilyCustom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := nodeClass(tc.term)
			nc.Spec.AMIFamily = tc.family
			if got := ami.Family(nc); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func equalRequirement(a, b corev1.NodeSelectorRequirement) bool {
	return a.Key == b.Key && a.Operator == b.Operator && slices.Equal(a.Values, b.Values)
}

func TestConcurrentResolvesAgree(t *testing.T) {
	e := start(t)
	nc := nodeClass(awsv1.AMISelectorTerm{Alias: "al2023@latest"})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			amis, err := e.provider.Resolve(t.Context(), nc, "1.37")
			if err == nil && len(amis) != 4 {
				err = fmt.Errorf("got %v, want four images", names(amis))
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
