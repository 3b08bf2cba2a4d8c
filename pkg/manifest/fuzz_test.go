package manifest

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the intake: it must never panic, and every error must name the source.
func FuzzRead(f *testing.F) {
	seeds := []string{
		pods("a", "b"),
		"---\n# comment only\n---\n" + pods("c"),
		`{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "2"}}}`,
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n- {apiVersion: v1, kind: PersistentVolume, metadata: {name: pv}}\n",
		workloadYAML("apps/v1", "Deployment", "{name: web, namespace: shop}", "  replicas: 3"),
		workloadYAML("apps/v1", "StatefulSet", "{name: db}", "  replicas: 2\n  volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}}}]"),
		workloadYAML("batch/v1", "Job", "{name: j}", "  parallelism: 2"),
		workloadYAML("apps/v1", "DaemonSet", "{name: ds}", "  selector: {matchLabels: {app: web}}"),
		"apiVersion: stevedore.dev/v1\nkind: NodePool\nmetadata: {name: p}\nspec: {template: {spec: {nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: d}}}}\n",
		"apiVersion: aws.stevedore.dev/v1\nkind: EC2NodeClass\nmetadata: {name: d}\nspec: {amiSelectorTerms: [{alias: al2023@latest}], kubelet: {maxPods: 20}}\n",
		"kind: [\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A small bound keeps each input fast however many replicas it asks for.
		r := newReader(1000)
		if err := r.stream("fuzz.yaml", bytes.NewReader(data)); err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
				t.Fatalf("error %q does not name the source", err)
			}
			return
		}
		o := r.finish()
		for _, p := range o.Pods {
			if p.Name == "" || p.Namespace == "" {
				t.Fatalf("pod %q in namespace %q: every pod needs both", p.Name, p.Namespace)
			}
		}
	})
}
