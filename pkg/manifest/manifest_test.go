package manifest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// names lists what o holds as "Kind namespace/name", kinds in a fixed order, then the ignored objects.
func names(o *Objects) []string {
	var out []string
	for _, p := range o.Pods {
		out = append(out, "Pod "+p.Namespace+"/"+p.Name)
	}
	for _, n := range o.Nodes {
		out = append(out, "Node "+n.Name)
	}
	for _, c := range o.PersistentVolumeClaims {
		out = append(out, "PersistentVolumeClaim "+c.Namespace+"/"+c.Name)
	}
	for _, v := range o.PersistentVolumes {
		out = append(out, "PersistentVolume "+v.Name)
	}
	for _, s := range o.StorageClasses {
		out = append(out, "StorageClass "+s.Name)
	}
	for _, d := range o.DaemonSets {
		out = append(out, "DaemonSet "+d.Namespace+"/"+d.Name)
	}
	for _, p := range o.NodePools {
		out = append(out, "NodePool "+p.Name)
	}
	for _, c := range o.EC2NodeClasses {
		out = append(out, "EC2NodeClass "+c.Name)
	}
	for _, c := range o.NodeClaims {
		out = append(out, "NodeClaim "+c.Name)
	}
	for _, b := range o.PodDisruptionBudgets {
		out = append(out, "PodDisruptionBudget "+b.Namespace+"/"+b.Name)
	}
	for _, i := range o.Ignored {
		out = append(out, "ignored "+i)
	}
	return out
}

func mustRead(t *testing.T, manifests string) *Objects {
	t.Helper()
	o, err := Read("test.yaml", strings.NewReader(manifests))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return o
}

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  containers:
  - name: app
    image: app
`

func pods(names ...string) string {
	docs := make([]string, len(names))
	for i, n := range names {
		docs[i] = strings.Replace(pod, "%s", n, 1)
	}
	return strings.Join(docs, "---\n")
}

func TestRead(t *testing.T) {
	tests := []struct {
		name      string
		manifests string
		want      []string
	}{
		{
			name:      "multi-document YAML with a leading separator, comments and an empty document",
			manifests: "---\n# the first pod\n" + pods("a") + "---\n# nothing here\n---\n" + pods("b") + "---\n",
			want:      []string{"Pod default/a", "Pod default/b"},
		},
		{
			name:      "JSON",
			manifests: `{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"a": "b"}}}`,
			want:      []string{"Node n1"},
		},
		{
			name: "kind List, items in order, unknown items ignored",
			manifests: `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: web}}
- {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: shop}, spec: {containers: [{name: c, image: i}]}}
- apiVersion: v1
  kind: List
  items:
  - {apiVersion: v1, kind: PersistentVolume, metadata: {name: pv1}}
`,
			want: []string{"Pod shop/p", "PersistentVolume pv1", "ignored test.yaml: Service/web"},
		},
		{
			name: "every kind read, namespaces defaulted for namespaced kinds only",
			manifests: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {storageClassName: gp3, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agent}]}
---
apiVersion: stevedore.dev/v1
kind: NodePool
metadata: {name: general}
spec:
  template:
    spec:
      nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: default}
      requirements: [{key: aws.stevedore.dev/instance-generation, operator: Gt, values: ["5"]}]
---
apiVersion: aws.stevedore.dev/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {a: b}}]
  securityGroupSelectorTerms: [{tags: {a: b}}]
  cniMode: prefix-delegation
---
apiVersion: stevedore.dev/v1
kind: NodeClaim
metadata: {name: general-x7k2p}
spec:
  nodeClassRef: {group: aws.stevedore.dev, kind: EC2NodeClass, name: default}
  requirements: [{key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}]
status: {nodeName: ip-10-0-1-7}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
`,
			want: []string{"PersistentVolumeClaim default/data", "StorageClass gp3", "DaemonSet kube-system/agent", "NodePool general",
				"EC2NodeClass default", "NodeClaim general-x7k2p", "PodDisruptionBudget default/web"},
		},
		{
			name: "unknown kinds and kinds of known groups that are not read are ignored, unvalidated",
			manifests: `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
notAField: true
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: tls}
---
apiVersion: policy/v1
kind: Eviction
metadata: {name: p}
`,
			want: []string{"ignored test.yaml: ConfigMap/settings", "ignored test.yaml: Certificate/tls", "ignored test.yaml: Eviction/p"},
		},
		{
			name:      "nothing",
			manifests: "# only a comment\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(mustRead(t, tt.manifests)); !slices.Equal(got, tt.want) {
				t.Errorf("Read() holds\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestReadKeepsFields(t *testing.T) {
	o := mustRead(t, `apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: web}}
spec:
  nodeName: node-1
  nodeSelector: {disktype: ssd}
  containers: [{name: c, image: i, resources: {requests: {cpu: 250m, memory: 1Gi}}}]
`)
	p := o.Pods[0]
	cpu := p.Spec.Containers[0].Resources.Requests.Cpu()
	if p.Spec.NodeName != "node-1" || p.Spec.NodeSelector["disktype"] != "ssd" || p.Labels["app"] != "web" || cpu.MilliValue() != 250 {
		t.Errorf("decoded pod lost fields: %+v", p)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name      string
		manifests string
		want      []string
	}{
		{
			name:      "malformed YAML names the document",
			manifests: pods("a") + "---\nkind: Pod\n  metadata: [\n",
			want:      []string{"test.yaml: document 2: ", "yaml"},
		},
		{
			name:      "unknown field",
			manifests: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replica: 3\n  template: {spec: {containers: [{name: c, image: i}]}}\n",
			want:      []string{"test.yaml: document 1: ", `unknown field "spec.replica"`},
		},
		{
			name:      "duplicate field",
			manifests: "apiVersion: v1\nkind: Node\nmetadata: {name: a}\nmetadata: {name: b}\n",
			want:      []string{"test.yaml: document 1: ", `"metadata" already set`},
		},
		{
			name:      "wrong field type",
			manifests: pods("a") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: i, resources: {requests: {cpu: lots}}}]}\n",
			want:      []string{"test.yaml: document 2: ", "quantities must match"},
		},
		{
			name:      "not a mapping",
			manifests: "- a\n- b\n",
			want:      []string{"test.yaml: document 1: not a Kubernetes object"},
		},
		{
			name:      "no kind",
			manifests: "apiVersion: v1\nmetadata: {name: a}\n",
			want:      []string{"test.yaml: document 1: not a Kubernetes object: apiVersion and kind are required"},
		},
		{
			name:      "bad apiVersion",
			manifests: "apiVersion: a/b/c\nkind: Pod\n",
			want:      []string{"test.yaml: document 1: ", "a/b/c"},
		},
		{
			name:      "unsupported version of a kind that is read",
			manifests: "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: web}\n",
			want:      []string{"test.yaml: document 1: Deployment of apiVersion apps/v1beta1 is not supported; use apiVersion apps/v1"},
		},
		{
			name:      "no name",
			manifests: "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\nspec: {containers: [{name: c, image: i}]}\n",
			want:      []string{"test.yaml: document 1: Pod has no metadata.name"},
		},
		{
			name:      "defined twice",
			manifests: pods("a", "b", "a"),
			want:      []string{"test.yaml: document 3: Pod default/a is defined twice, first at test.yaml: document 1"},
		},
		{
			name:      "pod collides with one a workload creates",
			manifests: "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: c, image: i}]}}}\n---\n" + pods("web-0"),
			want:      []string{"test.yaml: document 2: Pod default/web-0 is defined twice, first at test.yaml: document 1 (ReplicaSet web)"},
		},
		{
			name:      "bad list item names the item",
			manifests: "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node, metadata: {name: a}}\n- {apiVersion: v1, kind: Node, metadata: {name: b}, spek: {}}\n",
			want:      []string{"test.yaml: document 1: items[1]: ", `unknown field "spek"`},
		},
		{
			name:      "null list item",
			manifests: "apiVersion: v1\nkind: List\nitems: [null]\n",
			want:      []string{"test.yaml: document 1: items[0]: not a Kubernetes object"},
		},
		{
			// The separator is read as the end of the document before it.
			name:      "text after a separator",
			manifests: pods("a") + "--- apiVersion: v1\n",
			want:      []string{"test.yaml: document 1: invalid Yaml document separator"},
		},
		{
			name:      "negative replicas",
			manifests: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: -2, template: {spec: {containers: [{name: c, image: i}]}}}\n",
			want:      []string{"test.yaml: document 1: Deployment web would run -2 pods"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read("test.yaml", strings.NewReader(tt.manifests))
			if err == nil {
				t.Fatal("Read() succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Read() error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// tree writes files (path relative to a new temporary directory: contents) and returns the directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, contents := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(contents), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	dir := tree(t, map[string]string{
		"b.yaml":          pods("b"),
		"a/z.yml":         pods("az"),
		"a/deeper/c.json": `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}`,
		"a/README.md":     "not a manifest",
		"UPPER.YAML":      pods("upper"),
		"single/pod.txt":  pods("txt"),
		"empty/notes.txt": "nothing",
	})
	broken := tree(t, map[string]string{
		"ok.yaml":    pods("ok"),
		"wrong.yaml": pods("fine") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containerz: []}\n",
	})
	tests := []struct {
		name    string
		paths   []string
		stdin   string
		want    []string
		wantErr []string
	}{
		{
			name:  "a directory, recursively, in lexical order, manifest extensions only",
			paths: []string{dir},
			want:  []string{"Pod default/upper", "Pod default/c", "Pod default/az", "Pod default/b"},
		},
		{
			name:  "a file named explicitly, whatever its extension, then stdin",
			paths: []string{filepath.Join(dir, "single/pod.txt"), "-"},
			stdin: pods("from-stdin"),
			want:  []string{"Pod default/txt", "Pod default/from-stdin"},
		},
		{
			name:    "errors name the file and the document",
			paths:   []string{broken},
			wantErr: []string{filepath.Join(broken, "wrong.yaml") + ": document 2: ", `unknown field "spec.containerz"`},
		},
		{
			name:    "stdin errors name stdin",
			paths:   []string{"-"},
			stdin:   "kind: [",
			wantErr: []string{"stdin: document 1: "},
		},
		{
			name:    "the same object from two files",
			paths:   []string{filepath.Join(dir, "b.yaml"), filepath.Join(dir, "b.yaml")},
			wantErr: []string{"b.yaml: document 1: Pod default/b is defined twice, first at " + filepath.Join(dir, "b.yaml")},
		},
		{
			name:    "stdin twice",
			paths:   []string{"-", "-"},
			wantErr: []string{"stdin (-) may be given only once"},
		},
		{
			name:    "a directory without manifests",
			paths:   []string{filepath.Join(dir, "empty")},
			wantErr: []string{"empty: no .yaml, .yml or .json files in the directory"},
		},
		{
			name:    "a missing file",
			paths:   []string{filepath.Join(dir, "nope.yaml")},
			wantErr: []string{"nope.yaml", "no such file or directory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Load(tt.paths, strings.NewReader(tt.stdin))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("Load() succeeded, want an error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Load() error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := names(o); !slices.Equal(got, tt.want) {
				t.Errorf("Load() holds\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
