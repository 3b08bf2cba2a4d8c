package operator

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/stevedore-dev/stevedore/pkg/scheme"
)

// metricsDoc is the generated reference of every metric the controllers register.
const metricsDoc = "../../website/content/docs/reference/metrics.md"

var update = flag.Bool("update", false, "rewrite "+metricsDoc+" from the metrics the controllers register")

// recording is a Registerer that keeps the descriptions of what is registered with it.
type recording struct{ descs []*prometheus.Desc }

func (r *recording) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		r.descs = append(r.descs, d)
	}
	return nil
}

func (r *recording) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *recording) Unregister(prometheus.Collector) bool { return true }

// descPattern reads a Desc's String(), the only way the client library shows a description's parts.
var descPattern = regexp.MustCompile(`fqName: "([^"]*)", help: "((?:[^"\\]|\\.)*)",(?: unit: "[^"]*",)? constLabels: \{[^}]*\}, variableLabels: \{([^}]*)\}`)

type metric struct{ name, help, labels string }

// TestMetricsReferenceIsCurrent fails when website/content/docs/reference/metrics.md does not list exactly the
// metrics the controllers register; `go test ./pkg/operator -run MetricsReference -update` rewrites it.
func TestMetricsReferenceIsCurrent(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := manager.New(rest.CopyConfig(TestEnv.Config), manager.Options{Scheme: s, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := ParseOptions([]string{"--cluster-name=docs", "--aws-region=us-east-1"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := &recording{}
	if _, err := controllers(t.Context(), mgr, opts, reg); err != nil {
		t.Fatal(err)
	}
	var metrics []metric
	for _, d := range reg.descs {
		m := descPattern.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read description %s", d)
		}
		labels := strings.ReplaceAll(m[3], ",", ", ")
		if labels == "" {
			labels = "—"
		}
		metrics = append(metrics, metric{name: m[1], help: strings.ReplaceAll(m[2], `\"`, `"`), labels: labels})
	}
	slices.SortFunc(metrics, func(a, b metric) int { return strings.Compare(a.name, b.name) })
	metrics = slices.CompactFunc(metrics, func(a, b metric) bool { return a.name == b.name })
	var b strings.Builder
	b.WriteString("---\ntitle: Metrics\n---\n\n# Metrics\n\n")
	b.WriteString("The controller serves Prometheus metrics on `--metrics-bind-address` (`:8080` by default) at `/metrics`,\n")
	b.WriteString("beside controller-runtime's own (work queues, reconcile durations, API client). Stevedore's are below.\n\n")
	b.WriteString("This page is generated from the metrics the controllers register: `go test ./pkg/operator -run MetricsReference -update`.\n\n")
	b.WriteString("| Metric | Labels | Meaning |\n| --- | --- | --- |\n")
	for _, m := range metrics {
		if !strings.HasPrefix(m.name, "stevedore_") {
			t.Errorf("metric %s lacks the stevedore_ prefix", m.name)
		}
		if m.help == "" {
			t.Errorf("metric %s has no help text", m.name)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", m.name, m.labels, strings.ReplaceAll(m.help, "|", `\|`))
	}
	if *update {
		if err := os.WriteFile(metricsDoc, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	current, err := os.ReadFile(metricsDoc)
	if err != nil || string(current) != b.String() {
		t.Errorf("%s is out of date (%v); run go test ./pkg/operator -run MetricsReference -update", metricsDoc, err)
	}
}
