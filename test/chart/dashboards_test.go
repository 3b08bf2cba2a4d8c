package chart

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

// metricsReference lists every metric the controllers register; pkg/operator's TestMetricsReferenceIsCurrent keeps
// it equal to the registry, so a metric renamed in code and there fails the dashboards here until they follow.
const metricsReference = "website/content/docs/reference/metrics.md"

// dashboard is the part of a Grafana dashboard these tests read.
type dashboard struct {
	Title, UID    string
	SchemaVersion int
	Panels        []struct {
		ID         int
		Title      string
		Datasource *struct{ UID string }
		GridPos    struct{ X, W int }
		Targets    []struct {
			Expr, RefID string
			Datasource  *struct{ UID string }
		}
	}
	Templating struct {
		List []struct{ Name, Type, Definition string }
	}
}

// dashboardFiles reads charts/stevedore/dashboards/*.json, by file name.
func dashboardFiles(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(moduleRoot(t), chartDir, "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		if files[filepath.Base(p)], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"stevedore-overview.json", "stevedore-consolidation.json"} {
		if files[want] == nil {
			t.Errorf("dashboards/%s is missing; have %v", want, slices.Sorted(maps.Keys(files)))
		}
	}
	return files
}

// referenceMetrics parses the metrics reference table into each metric's labels.
func referenceMetrics(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(moduleRoot(t), metricsReference))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_:][a-z0-9_:]*)` \\| ([^|]*) \\|")
	metrics := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		metrics[m[1]] = nil
		if labels := strings.TrimSpace(m[2]); labels != "—" {
			metrics[m[1]] = strings.Split(labels, ", ")
		}
	}
	if len(metrics) < 10 {
		t.Fatalf("read %d metrics from %s; has its table changed shape?", len(metrics), metricsReference)
	}
	return metrics
}

// promqlRefs returns the metric names an expression selects and the labels it matches on or groups by. It is
// a scanner, not a parser: enough to find every series name in the queries of a dashboard.
func promqlRefs(expr string) (metrics, labels []string, err error) {
	tok := regexp.MustCompile(`\s+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\$\{\w+\}|\$\w+|[0-9.][0-9a-zA-Z.]*|[a-zA-Z_:][a-zA-Z0-9_:]*|=~|!~|!=|==|>=|<=|.`)
	var toks []string
	for _, s := range tok.FindAllString(expr, -1) {
		if strings.TrimSpace(s) != "" {
			toks = append(toks, s)
		}
	}
	ident := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	grouping := map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}
	keywords := map[string]bool{"bool": true, "offset": true, "and": true, "or": true, "unless": true, "atan2": true, "inf": true, "nan": true}
	next := func(i int) string {
		if i+1 < len(toks) {
			return toks[i+1]
		}
		return ""
	}
	for i := 0; i < len(toks); i++ {
		switch t := toks[i]; {
		case t == "[": // a range or subquery: durations and Grafana's interval variables
			for i < len(toks) && toks[i] != "]" {
				i++
			}
		case t == "{": // label matchers
			for i++; i < len(toks) && toks[i] != "}"; i++ {
				if ident.MatchString(toks[i]) {
					labels = append(labels, toks[i])
				}
			}
		case grouping[t] && next(i) == "(":
			for i += 2; i < len(toks) && toks[i] != ")"; i++ {
				if ident.MatchString(toks[i]) {
					labels = append(labels, toks[i])
				}
			}
		case !ident.MatchString(t) || keywords[t] || grouping[t] || next(i) == "(" || grouping[next(i)]:
			// punctuation, numbers, strings, functions and aggregations
		default:
			metrics = append(metrics, t)
		}
	}
	if slices.Contains(labels, "__name__") {
		return nil, nil, fmt.Errorf("selects by __name__, which hides the metric's name from this check")
	}
	return metrics, labels, nil
}

// checkQuery returns what is wrong with one PromQL query against the reference: an unknown metric (a histogram's
// _bucket, _sum and _count series count as their metric), or a label none of its metrics has.
func checkQuery(expr string, reference map[string][]string) []string {
	metrics, labels, err := promqlRefs(expr)
	if err != nil {
		return []string{err.Error()}
	}
	if len(metrics) == 0 {
		return []string{"selects no metric"}
	}
	var problems, known []string
	for _, m := range metrics {
		base := m
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if _, ok := reference[m]; !ok && strings.HasSuffix(m, suffix) {
				base = strings.TrimSuffix(m, suffix)
			}
		}
		got, ok := reference[base]
		if !ok {
			problems = append(problems, fmt.Sprintf("metric %s is not in %s", m, metricsReference))
		}
		known = append(known, got...)
		if base != m && strings.HasSuffix(m, "_bucket") {
			known = append(known, "le")
		}
	}
	for _, l := range labels {
		if !slices.Contains(known, l) {
			problems = append(problems, fmt.Sprintf("label %s is not a label of %v", l, metrics))
		}
	}
	return problems
}

func TestPromQLCheckerCatchesRenames(t *testing.T) {
	reference := map[string][]string{"stevedore_a_total": {"nodepool"}, "stevedore_b_seconds": nil}
	for _, tt := range []struct {
		expr string
		want []string // fragments of the problems; none means the query is good
	}{
		{`60 * sum by (nodepool) (rate(stevedore_a_total{nodepool=~"$nodepool"}[$__rate_interval]))`, nil},
		{`histogram_quantile(0.9, sum by (le) (rate(stevedore_b_seconds_bucket[5m])))`, nil},
		{`sum(rate(stevedore_b_seconds_sum[5m])) / sum(rate(stevedore_b_seconds_count[5m]))`, nil},
		{`sum(rate(stevedore_a_renamed_total[5m]))`, []string{"metric stevedore_a_renamed_total is not in"}},
		{`sum by (pool) (rate(stevedore_a_total[5m]))`, []string{"label pool is not a label"}},
		{`stevedore_a_total{pool="x"}`, []string{"label pool is not a label"}},
		{`sum by (le) (rate(stevedore_a_total[5m]))`, []string{"label le is not a label"}},
		{`max(stevedore_b_seconds_total)`, []string{"metric stevedore_b_seconds_total is not in"}},
		{`{__name__="stevedore_a_total"}`, []string{"__name__"}},
		{`vector(1)`, []string{"selects no metric"}},
	} {
		got := strings.Join(checkQuery(tt.expr, reference), "; ")
		if (tt.want == nil) != (got == "") {
			t.Errorf("checking %s: got problems %q, want %q", tt.expr, got, tt.want)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("checking %s: got %q, want it to say %q", tt.expr, got, w)
			}
		}
	}
}

func TestDashboardsAreValidAndUseOnlyRealMetrics(t *testing.T) {
	reference := referenceMetrics(t)
	labelValues := regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*(\w+)\s*\)$`)
	variable := regexp.MustCompile(`\$\{?(\w+)`)
	uids := map[string]string{}
	for name, data := range dashboardFiles(t) {
		t.Run(name, func(t *testing.T) {
			var d dashboard
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatalf("not valid JSON: %v", err)
			}
			if d.Title == "" || d.UID == "" || len(d.UID) > 40 {
				t.Errorf("title %q and uid %q: want both, the uid at most 40 characters (Grafana's limit)", d.Title, d.UID)
			}
			if other, dup := uids[d.UID]; dup {
				t.Errorf("uid %q is also %s's: Grafana would load only one", d.UID, other)
			}
			uids[d.UID] = name
			if d.SchemaVersion < 36 || len(d.Panels) == 0 {
				t.Errorf("schemaVersion %d with %d panels: want at least 36 (data source references by uid) and panels", d.SchemaVersion, len(d.Panels))
			}
			vars := map[string]bool{}
			for _, v := range d.Templating.List {
				vars[v.Name] = true
				if m := labelValues.FindStringSubmatch(v.Definition); m != nil {
					for _, p := range checkQuery(fmt.Sprintf("sum by (%s) (%s)", m[2], m[1]), reference) {
						t.Errorf("variable %s: %s", v.Name, p)
					}
				} else if v.Type == "query" {
					t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, v.Definition)
				}
			}
			if !vars["datasource"] {
				t.Errorf("no datasource variable: the dashboard would be bound to one Grafana's data source uid")
			}
			ids := map[int]bool{}
			for _, p := range d.Panels {
				if ids[p.ID] || p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 {
					t.Errorf("panel %q: id %d repeated, or gridPos outside Grafana's 24 columns", p.Title, p.ID)
				}
				ids[p.ID] = true
				if len(p.Targets) == 0 || p.Datasource == nil || p.Datasource.UID != "${datasource}" {
					t.Errorf("panel %q: want queries, from the ${datasource} variable's data source", p.Title)
				}
				for _, q := range p.Targets {
					if q.Datasource == nil || q.Datasource.UID != "${datasource}" {
						t.Errorf("panel %q, query %s: does not use the ${datasource} variable", p.Title, q.RefID)
					}
					for _, m := range variable.FindAllStringSubmatch(q.Expr, -1) {
						if !strings.HasPrefix(m[1], "__") && !vars[m[1]] {
							t.Errorf("panel %q, query %s: variable $%s is not defined", p.Title, q.RefID, m[1])
						}
					}
					for _, problem := range checkQuery(q.Expr, reference) {
						t.Errorf("panel %q, query %s: %s\n%s", p.Title, q.RefID, problem, q.Expr)
					}
				}
			}
		})
	}
}

func TestDashboardConfigMaps(t *testing.T) {
	h := newHelm(t)
	files := dashboardFiles(t)
	if got := all[*corev1.ConfigMap](h.template(t, set("settings.clusterName", clusterName)...)); len(got) != 0 {
		t.Errorf("by default the chart renders %d ConfigMaps, want none", len(got))
	}

	// Rendered as the Grafana sidecar expects, and as a cluster stores them: the API server has the last word on
	// names and sizes, and what it returns is what the sidecar would write out for Grafana.
	monitoring := test.RandomName("monitoring")
	if err := env.Client.Create(test.Context(t), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: monitoring}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name                   string
		args                   []string
		namespace, label, want string
	}{
		{"defaults", set("dashboards.enabled", true), namespace, "grafana_dashboard", "1"},
		{"a label value that --set passes as a number", args(set("dashboards.enabled", true), set("dashboards.labelValue", 1)),
			namespace, "grafana_dashboard", "1"},
		{"another sidecar's label in Grafana's namespace", args(set("dashboards.enabled", true),
			set("dashboards.namespace", monitoring), set("dashboards.label", "example.com/dashboard"),
			set("dashboards.labelValue", "stevedore"), set("dashboards.annotations.grafana_folder", "Stevedore")),
			monitoring, "example.com/dashboard", "stevedore"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cms := all[*corev1.ConfigMap](h.template(t, append(set("settings.clusterName", clusterName), tt.args...)...))
			if len(cms) != len(files) {
				t.Fatalf("rendered %d ConfigMaps, want one per dashboard file (%d)", len(cms), len(files))
			}
			seen := map[string]bool{}
			for _, cm := range cms {
				if cm.Namespace != tt.namespace || cm.Labels[tt.label] != tt.want {
					t.Errorf("ConfigMap %s/%s with labels %v: want namespace %s and label %s=%q",
						cm.Namespace, cm.Name, cm.Labels, tt.namespace, tt.label, tt.want)
				}
				if len(cm.Data) != 1 {
					t.Errorf("ConfigMap %s holds %d keys, want one dashboard", cm.Name, len(cm.Data))
				}
				for key, got := range cm.Data {
					if want, ok := files[key]; !ok || got != string(want) {
						t.Errorf("ConfigMap %s key %s is not byte-for-byte dashboards/%s (%d bytes, want %d)", cm.Name, key, key, len(got), len(want))
					}
					seen[key] = true
				}
				if tt.namespace == monitoring {
					if cm.Annotations["grafana_folder"] != "Stevedore" {
						t.Errorf("ConfigMap %s annotations %v: want grafana_folder=Stevedore", cm.Name, cm.Annotations)
					}
					stored := cm.DeepCopy() // Create fills it in from the API server's answer
					if err := env.Client.Create(test.Context(t), stored); err != nil {
						t.Fatalf("creating ConfigMap %s: %v", cm.Name, err)
					}
					if !maps.Equal(stored.Data, cm.Data) {
						t.Errorf("ConfigMap %s changed on the way through the API server", cm.Name)
					}
				}
			}
			if len(seen) != len(files) {
				t.Errorf("ConfigMaps hold %d distinct dashboards, want %d", len(seen), len(files))
			}
		})
	}
}

func TestSchemaRejectsBadDashboardValues(t *testing.T) {
	h := newHelm(t)
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"enabled that is not a boolean", set("dashboards.enabled", "yes"), []string{"at '/dashboards/enabled'", "want boolean"}},
		{"misspelt key", set("dashboards.enable", true), []string{"at '/dashboards'", "additional properties 'enable' not allowed"}},
		{"label that is no label key", set("dashboards.label", "grafana dashboard"), []string{"at '/dashboards/label'"}},
		{"namespace that is no namespace name", set("dashboards.namespace", "Monitoring"), []string{"at '/dashboards/namespace'"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := args([]string{"template", releaseName, chartDir}, set("settings.clusterName", clusterName), tt.args)
			stdout, stderr, err := h.run(t, cmd...)
			if err == nil {
				t.Fatalf("helm template %s: want a schema error, got success:\n%s", strings.Join(tt.args, " "), stdout)
			}
			test.ExpectContains(t, "helm's error", stderr, append([]string{"values don't meet the specifications of the schema"}, tt.want...))
		})
	}
}
