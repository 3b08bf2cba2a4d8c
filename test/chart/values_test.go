package chart

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestLintPasses(t *testing.T) {
	h := newHelm(t)
	tests := []struct {
		name string
		args []string
	}{
		{"stevedore with only the cluster name", args([]string{"lint", "--strict", chartDir}, set("settings.clusterName", clusterName))},
		{"stevedore-crd", []string{"lint", "--strict", crdChartDir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := h.mustRun(t, tt.args...)
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Errorf("helm lint: want no failed chart, got:\n%s", out)
			}
		})
	}
}

func TestMissingClusterNameFailsWithTheFix(t *testing.T) {
	h := newHelm(t)
	h.writeKubeconfig(t, env.Config)
	for _, cmd := range [][]string{
		{"template", releaseName, chartDir, "--namespace", namespace},
		// A release name of its own, so that it cannot collide with the install test's release.
		{"install", "no-cluster-name", chartDir, "--namespace", "default"},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			stdout, stderr, err := h.run(t, cmd...)
			if err == nil {
				t.Fatalf("helm %s without settings.clusterName: want an error, got success:\n%s", cmd[0], stdout)
			}
			test.ExpectContains(t, "helm's output", stdout+stderr, []string{
				"settings.clusterName is required",
				"--set settings.clusterName=",
			})
			if cmd[0] == "install" {
				d := &appsv1.Deployment{}
				err := env.Client.Get(test.Context(t), types.NamespacedName{Namespace: "default", Name: "no-cluster-name"}, d)
				if !apierrors.IsNotFound(err) {
					t.Errorf("after the failed install, getting its Deployment: got %v, want not found", err)
				}
			}
		})
	}
}

func TestSchemaRejectsBadValuesNamingTheField(t *testing.T) {
	h := newHelm(t)
	tests := []struct {
		name string
		args []string
		want []string // fragments of helm's error: the field's path and what is wrong
	}{
		{
			name: "log level not one the controller knows",
			args: set("logLevel", "verbose"),
			want: []string{"at '/logLevel'", "'debug', 'info', 'warn', 'error'"},
		},
		{
			name: "negative vmMemoryOverheadPercent",
			args: []string{"--set-json", "settings.vmMemoryOverheadPercent=-0.1"},
			want: []string{"at '/settings/vmMemoryOverheadPercent'", "minimum: got -0.1, want 0"},
		},
		{
			name: "negative vmMemoryOverheadPercent given with --set, which passes decimals as strings",
			args: set("settings.vmMemoryOverheadPercent", "-0.1"),
			want: []string{"at '/settings/vmMemoryOverheadPercent'", "'-0.1' does not match pattern"},
		},
		{
			name: "vmMemoryOverheadPercent of a whole instance",
			args: []string{"--set-json", "settings.vmMemoryOverheadPercent=1"},
			want: []string{"at '/settings/vmMemoryOverheadPercent'", "exclusiveMaximum"},
		},
		{
			name: "batchMaxDuration that is not a duration",
			args: set("settings.batchMaxDuration", "soon"),
			want: []string{"at '/settings/batchMaxDuration'", "'soon' does not match pattern"},
		},
		{
			name: "batchIdleDuration without a unit",
			args: set("settings.batchIdleDuration", "10"),
			want: []string{"at '/settings/batchIdleDuration'"},
		},
		{
			name: "empty cluster name",
			args: []string{"--set", "settings.clusterName="},
			want: []string{"at '/settings/clusterName'", "minLength"},
		},
		{
			name: "misspelt top-level key",
			args: set("setting.clusterName", clusterName),
			want: []string{"additional properties 'setting' not allowed"},
		},
		{
			name: "unknown feature gate",
			args: set("settings.featureGates.SpotToSpot", true),
			want: []string{"at '/settings/featureGates'", "additional properties 'SpotToSpot' not allowed"},
		},
		{
			name: "feature gate that is not a boolean",
			args: set("settings.featureGates.SpotToSpotConsolidation", "yes"),
			want: []string{"at '/settings/featureGates/SpotToSpotConsolidation'", "want boolean"},
		},
		{
			name: "image digest that is not a sha256",
			args: set("image.digest", "latest"),
			want: []string{"at '/image/digest'"},
		},
		{
			name: "no replicas",
			args: set("replicas", 0),
			want: []string{"at '/replicas'", "minimum"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case is its own helm process
			cmd := args([]string{"template", releaseName, chartDir}, set("settings.clusterName", clusterName), tt.args)
			stdout, stderr, err := h.run(t, cmd...)
			if err == nil {
				t.Fatalf("helm template %s: want a schema error, got success:\n%s", strings.Join(tt.args, " "), stdout)
			}
			test.ExpectContains(t, "helm's error", stderr, append([]string{"values don't meet the specifications of the schema"}, tt.want...))
		})
	}
}

func TestSchemaAcceptsWhatTheControllerAccepts(t *testing.T) {
	h := newHelm(t)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"decimal from --set", set("settings.vmMemoryOverheadPercent", "0.1")},
		{"zero overhead", []string{"--set-json", "settings.vmMemoryOverheadPercent=0"}},
		{"compound durations", args(set("settings.batchMaxDuration", "1m30s"), set("settings.batchIdleDuration", "500ms"))},
		{"every field of settings", args(
			set("settings.clusterEndpoint", "https://ABC.gr7.us-west-2.eks.amazonaws.com"),
			set("settings.serviceCIDR", "172.20.0.0/16"),
			set("settings.interruptionQueue", "stevedore-interruptions"),
			set("settings.awsRegion", "us-west-2"),
			set("settings.featureGates.SpotToSpotConsolidation", true),
		)},
		{"a pinned digest", set("image.digest", "sha256:"+strings.Repeat("ab", 32))},
		{"no node affinity", []string{"--set", "affinity.nodeAffinity=null"}},
		{"a parent chart's globals", set("global.imageRegistry", "registry.example")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := h.template(t, append(set("settings.clusterName", clusterName), tt.args...)...)
			// Accepted values must also start the controller: its own parser has the last word.
			controllerOptions(t, deployment(t, m))
		})
	}
}
