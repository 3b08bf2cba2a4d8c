package chart

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/stevedore-dev/stevedore/pkg/operator"
)

// roleARN is an IRSA role as a user would annotate the ServiceAccount with.
const roleARN = "arn:aws:iam::111122223333:role/StevedoreController-test-cluster"

// deployment returns the rendered controller Deployment and its only container.
func deployment(t *testing.T, m manifests) *appsv1.Deployment {
	t.Helper()
	d := one[*appsv1.Deployment](t, m)
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("Deployment has %d containers, want 1", n)
	}
	return d
}

// controllerOptions parses the container's environment exactly as the controller does at start-up (with the
// downward API's namespace filled in) and validates it, so that a value the chart accepts but the controller would
// refuse, or an environment variable it does not read, fails here instead of crash-looping a user's pods.
func controllerOptions(t *testing.T, d *appsv1.Deployment) *operator.Options {
	t.Helper()
	vars := map[string]string{}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		switch {
		case e.ValueFrom == nil:
			vars[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			vars[e.Name] = d.Namespace
		default:
			t.Fatalf("env %s comes from %+v, which this test cannot resolve", e.Name, e.ValueFrom)
		}
	}
	opts, err := operator.ParseOptions(nil, func(name string) string { return vars[name] }, io.Discard)
	if err != nil {
		t.Fatalf("the controller cannot parse the rendered environment %v: %v", vars, err)
	}
	if err := opts.Validate(); err != nil {
		t.Fatalf("the controller rejects the rendered environment %v: %v", vars, err)
	}
	return opts
}

func TestDeploymentCarriesTheUsersSettings(t *testing.T) {
	h := newHelm(t)
	m := h.template(t, args(
		set("settings.clusterName", clusterName),
		set("settings.clusterEndpoint", "https://ABC.gr7.us-west-2.eks.amazonaws.com"),
		set("settings.serviceCIDR", "172.20.0.0/16"),
		set("settings.interruptionQueue", "stevedore-interruptions"),
		set("settings.batchMaxDuration", "20s"),
		set("settings.batchIdleDuration", "2s"),
		set("settings.vmMemoryOverheadPercent", "0.05"),
		set("settings.awsRegion", "us-west-2"),
		set("settings.featureGates.SpotToSpotConsolidation", true),
		set("logLevel", "debug"),
		set("extraEnv[0].name", "KUBE_CLIENT_QPS"), set("extraEnv[0].value", "400"),
		[]string{"--set", `serviceAccount.annotations.eks\.amazonaws\.com/role-arn=` + roleARN},
	)...)
	d := deployment(t, m)
	opts := controllerOptions(t, d)

	if got := envValue(d, "FEATURE_GATES"); got != "SpotToSpotConsolidation=true" {
		t.Errorf("FEATURE_GATES = %q, want %q", got, "SpotToSpotConsolidation=true")
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"cluster name", opts.ClusterName, clusterName},
		{"cluster endpoint", opts.ClusterEndpoint, "https://ABC.gr7.us-west-2.eks.amazonaws.com"},
		{"service CIDR", opts.ServiceCIDR, "172.20.0.0/16"},
		{"interruption queue", opts.InterruptionQueue, "stevedore-interruptions"},
		{"batch max duration", opts.BatchMaxDuration, 20 * time.Second},
		{"batch idle duration", opts.BatchIdleDuration, 2 * time.Second},
		{"VM memory overhead", opts.VMMemoryOverheadPercent, 0.05},
		{"AWS region", opts.AWSRegion, "us-west-2"},
		{"spot-to-spot consolidation", opts.FeatureGates.Enabled(operator.FeatureSpotToSpotConsolidation), true},
		{"log level", opts.LogLevel, operator.LogLevelDebug},
		{"extra env", opts.KubeClientQPS, 400.0},
		{"leader election", opts.LeaderElection, true},
		// The Lease must live where the chart's Role grants access: the release namespace.
		{"leader election namespace", opts.LeaderElectionNamespace, namespace},
		{"metrics address", opts.MetricsBindAddress, ":8080"},
		{"probe address", opts.HealthProbeBindAddress, ":8081"},
	} {
		if c.got != c.want {
			t.Errorf("controller's %s = %v, want %v", c.name, c.got, c.want)
		}
	}

	sa := one[*corev1.ServiceAccount](t, m)
	if got := sa.Annotations["eks.amazonaws.com/role-arn"]; got != roleARN {
		t.Errorf("ServiceAccount annotation eks.amazonaws.com/role-arn = %q, want %q", got, roleARN)
	}
	if d.Spec.Template.Spec.ServiceAccountName != sa.Name {
		t.Errorf("Deployment runs as ServiceAccount %q, want the chart's %q", d.Spec.Template.Spec.ServiceAccountName, sa.Name)
	}
}

func TestDefaultsLeaveControllerDefaultsAlone(t *testing.T) {
	h := newHelm(t)
	d := deployment(t, h.template(t, set("settings.clusterName", clusterName)...))
	// Empty settings must not reach the controller as empty or made-up values: its own defaults apply.
	for _, name := range []string{"CLUSTER_ENDPOINT", "SERVICE_CIDR", "INTERRUPTION_QUEUE", "AWS_REGION", "LEADER_ELECTION_NAMESPACE"} {
		if slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Env, func(e corev1.EnvVar) bool { return e.Name == name }) {
			t.Errorf("env %s is set by default; want it left to the controller", name)
		}
	}
	opts := controllerOptions(t, d)
	if opts.ServiceCIDR != "10.100.0.0/16" || opts.FeatureGates.Enabled(operator.FeatureSpotToSpotConsolidation) {
		t.Errorf("defaults: service CIDR %q, spot-to-spot %v; want the controller's 10.100.0.0/16 and off",
			opts.ServiceCIDR, opts.FeatureGates.Enabled(operator.FeatureSpotToSpotConsolidation))
	}
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %d, want 2 (one leader, one standby)", *d.Spec.Replicas)
	}
}

func TestImage(t *testing.T) {
	h := newHelm(t)
	raw, err := os.ReadFile(filepath.Join(h.root, chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		t.Fatalf("reading Chart.yaml: %v", err)
	}
	digest := "sha256:" + strings.Repeat("0f", 32)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"tag defaults to the chart's appVersion", nil, "public.ecr.aws/stevedore/controller:" + chart.AppVersion},
		{"tag", set("image.tag", "v9.9.9"), "public.ecr.aws/stevedore/controller:v9.9.9"},
		{"digest wins over tag", args(set("image.tag", "v9.9.9"), set("image.digest", digest)), "public.ecr.aws/stevedore/controller@" + digest},
		{"mirror", set("image.repository", "123456789012.dkr.ecr.us-west-2.amazonaws.com/stevedore"), "123456789012.dkr.ecr.us-west-2.amazonaws.com/stevedore:" + chart.AppVersion},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := deployment(t, h.template(t, append(set("settings.clusterName", clusterName), tt.args...)...))
			if got := d.Spec.Template.Spec.Containers[0].Image; got != tt.want {
				t.Errorf("image = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestControllerIsHardenedAndProbed(t *testing.T) {
	h := newHelm(t)
	m := h.template(t, set("settings.clusterName", clusterName)...)
	d := deployment(t, m)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	sc := c.SecurityContext
	if sc == nil || !isTrue(sc.RunAsNonRoot) || !isTrue(sc.ReadOnlyRootFilesystem) || sc.AllowPrivilegeEscalation == nil ||
		*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		len(sc.Capabilities.Add) != 0 || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container securityContext = %+v; want non-root, read-only root FS, no privilege escalation, drop ALL, seccomp RuntimeDefault", sc)
	}
	if psc := pod.SecurityContext; psc == nil || !isTrue(psc.RunAsNonRoot) || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext = %+v; want runAsNonRoot with a non-zero user", psc)
	}
	if pod.PriorityClassName != "system-cluster-critical" {
		t.Errorf("priorityClassName = %q, want system-cluster-critical", pod.PriorityClassName)
	}

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe = %+v, want an HTTP GET", p.name, p.probe)
			continue
		}
		port := p.probe.HTTPGet.Port.IntVal
		if p.probe.HTTPGet.Port.StrVal != "" {
			port = ports[p.probe.HTTPGet.Port.StrVal]
		}
		if p.probe.HTTPGet.Path != p.path || port != 8081 {
			t.Errorf("%s probe GETs %s on port %d, want %s on 8081", p.name, p.probe.HTTPGet.Path, port, p.path)
		}
	}

	svc := one[*corev1.Service](t, m)
	if len(svc.Spec.Ports) != 1 || ports[svc.Spec.Ports[0].TargetPort.StrVal] != 8080 || svc.Spec.Ports[0].Port != 8080 {
		t.Errorf("metrics Service ports = %+v, want 8080 to the container's metrics port 8080 (container ports %v)", svc.Spec.Ports, ports)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("metrics Service selector %v does not select the controller's pods %v", svc.Spec.Selector, d.Spec.Template.Labels)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %+v, want cpu and memory requests and a memory limit", c.Resources)
	}
}

func TestPlacementKeepsReplicasApartAndOffManagedNodes(t *testing.T) {
	h := newHelm(t)
	m := h.template(t, set("settings.clusterName", clusterName)...)
	d := deployment(t, m)
	pod := d.Spec.Template.Spec
	podLabels := labels.Set(d.Spec.Template.Labels)

	// A node Stevedore manages carries stevedore.dev/nodepool; the controller must not be scheduled there.
	managed := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"stevedore.dev/nodepool": "default"}}}
	unmanaged := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"eks.amazonaws.com/nodegroup": "system"}}}
	if pod.Affinity == nil || pod.Affinity.NodeAffinity == nil || pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		t.Fatalf("affinity = %+v, want required node affinity", pod.Affinity)
	}
	required := pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if matchesNode(t, required, managed) || !matchesNode(t, required, unmanaged) {
		t.Errorf("required node affinity %+v: want it to refuse nodes labelled stevedore.dev/nodepool and accept others", required)
	}

	anti := pod.Affinity.PodAntiAffinity
	if anti == nil || len(anti.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Fatalf("pod anti-affinity = %+v, want one required term", anti)
	}
	term := anti.RequiredDuringSchedulingIgnoredDuringExecution[0]
	if term.TopologyKey != corev1.LabelHostname || !selects(t, term.LabelSelector, podLabels) {
		t.Errorf("anti-affinity term %+v: want hostname, selecting the controller's own pods %v", term, podLabels)
	}
	spread := pod.TopologySpreadConstraints
	if len(spread) != 1 || spread[0].TopologyKey != corev1.LabelTopologyZone || spread[0].MaxSkew != 1 || !selects(t, spread[0].LabelSelector, podLabels) {
		t.Errorf("topology spread = %+v: want maxSkew 1 over zones selecting the controller's own pods %v", spread, podLabels)
	}
	if !slices.ContainsFunc(pod.Tolerations, func(tol corev1.Toleration) bool { return tol.Key == "CriticalAddonsOnly" }) {
		t.Errorf("tolerations = %+v, want CriticalAddonsOnly (system node groups)", pod.Tolerations)
	}

	pdb := one[*policyv1.PodDisruptionBudget](t, m)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || !selects(t, pdb.Spec.Selector, podLabels) {
		t.Errorf("PodDisruptionBudget spec = %+v, want maxUnavailable 1 over the controller's pods", pdb.Spec)
	}
}

func TestServiceMonitorIsOptional(t *testing.T) {
	h := newHelm(t)
	if n := len(unstructuredOfKind(h.template(t, set("settings.clusterName", clusterName)...), "ServiceMonitor")); n != 0 {
		t.Errorf("rendered %d ServiceMonitors by default, want none (the CRD may not exist)", n)
	}
	m := h.template(t, args(set("settings.clusterName", clusterName), set("serviceMonitor.enabled", true),
		set("serviceMonitor.additionalLabels.release", "kube-prometheus-stack"))...)
	monitors := unstructuredOfKind(m, "ServiceMonitor")
	if len(monitors) != 1 {
		t.Fatalf("rendered %d ServiceMonitors with serviceMonitor.enabled, want 1", len(monitors))
	}
	sm := monitors[0]
	svc := one[*corev1.Service](t, m)
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	selector, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if len(endpoints) != 1 || endpoints[0].(map[string]any)["port"] != svc.Spec.Ports[0].Name ||
		!labels.SelectorFromSet(labels.Set(selector)).Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor spec = %v; want one endpoint on the Service's port %q, selecting the Service %v",
			sm.Object["spec"], svc.Spec.Ports[0].Name, svc.Labels)
	}
	if sm.GetLabels()["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor labels = %v, want serviceMonitor.additionalLabels among them", sm.GetLabels())
	}
}
