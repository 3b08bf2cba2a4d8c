package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Stdin is the path Load reads from its stdin reader, as in `kubectl apply -f -`.
const Stdin = "-"

// MaxGenerated bounds the pods and PersistentVolumeClaims the workloads of one set of manifests may expand into,
// so that a slip such as `replicas: 10000000` fails at once rather than exhausting memory.
const MaxGenerated = 100_000

// Objects are the objects a set of manifests describes, in the order they were read, with namespaced objects
// that named no namespace placed in "default".
type Objects struct {
	// Pods are the pods the manifests define and those their workloads would create. A pod with
	// spec.nodeName is bound to that node; the others are pending.
	Pods []*corev1.Pod
	// Nodes are existing nodes.
	Nodes []*corev1.Node
	// PersistentVolumeClaims are the claims the manifests define, then the unbound claims StatefulSets'
	// volumeClaimTemplates would create where the manifests do not define them.
	PersistentVolumeClaims []*corev1.PersistentVolumeClaim
	// PersistentVolumes are existing volumes.
	PersistentVolumes []*corev1.PersistentVolume
	// StorageClasses say how claims are provisioned and bound.
	StorageClasses []*storagev1.StorageClass
	// DaemonSets are kept whole rather than expanded: their pods' count depends on the nodes; DaemonSetPods
	// gives the pod each would run on a node.
	DaemonSets []*appsv1.DaemonSet
	// NodePools and EC2NodeClasses are Stevedore's provisioning policy.
	NodePools      []*v1.NodePool
	EC2NodeClasses []*awsv1.EC2NodeClass
	// NodeClaims are the claims behind existing nodes (status.nodeName names the node), which carry what
	// disruption reads beyond the Node: creation time, expireAfter and the Drifted condition.
	NodeClaims []*v1.NodeClaim
	// PodDisruptionBudgets limit evictions; their status may be empty in hand-written manifests.
	PodDisruptionBudgets []*policyv1.PodDisruptionBudget
	// Ignored lists the objects of kinds this package does not read, as "source: Kind/name".
	Ignored []string
}

// Load reads the manifests at paths: files (whatever their extension), directories (every *.yaml, *.yml and
// *.json file below them, recursively, in lexical order) and Stdin, which reads stdin and may be given once.
// Errors name the file and, for a bad document, its 1-based index in the file.
func Load(paths []string, stdin io.Reader) (*Objects, error) {
	r := newReader(MaxGenerated)
	readStdin := false
	for _, path := range paths {
		if path == Stdin {
			if readStdin {
				return nil, errors.New("stdin (-) may be given only once")
			}
			readStdin = true
			if err := r.stream("stdin", stdin); err != nil {
				return nil, err
			}
			continue
		}
		if err := r.path(path); err != nil {
			return nil, err
		}
	}
	return r.finish(), nil
}

// Read reads the manifests in one stream, naming it source in errors and in Objects.Ignored.
func Read(source string, in io.Reader) (*Objects, error) {
	r := newReader(MaxGenerated)
	if err := r.stream(source, in); err != nil {
		return nil, err
	}
	return r.finish(), nil
}

// reader accumulates the objects of one or more sources.
type reader struct {
	scheme  *runtime.Scheme
	decoder runtime.Decoder
	out     *Objects
	// defined maps "Kind namespace/name" to where the object was defined, to reject duplicates.
	defined map[string]string
	// claims are PersistentVolumeClaims StatefulSets would create; finish adds those the manifests lack.
	claims []*corev1.PersistentVolumeClaim
	// generated counts the pods and claims created from workloads, against maxGenerated.
	generated, maxGenerated int
}

func newReader(maxGenerated int) *reader {
	// The scheme knows exactly the kinds read here, so "not recognized" means "ignored". Other kinds of these
	// groups (ConfigMaps, Services) are ignored too, without validating fields this tool does not use.
	s := runtime.NewScheme()
	s.AddKnownTypes(corev1.SchemeGroupVersion, &corev1.Pod{}, &corev1.Node{}, &corev1.PersistentVolumeClaim{},
		&corev1.PersistentVolume{}, &corev1.List{})
	s.AddKnownTypes(storagev1.SchemeGroupVersion, &storagev1.StorageClass{})
	s.AddKnownTypes(appsv1.SchemeGroupVersion, &appsv1.Deployment{}, &appsv1.ReplicaSet{}, &appsv1.StatefulSet{},
		&appsv1.DaemonSet{})
	s.AddKnownTypes(batchv1.SchemeGroupVersion, &batchv1.Job{})
	s.AddKnownTypes(policyv1.SchemeGroupVersion, &policyv1.PodDisruptionBudget{})
	s.AddKnownTypes(v1.SchemeGroupVersion, &v1.NodePool{}, &v1.NodeClaim{})
	s.AddKnownTypes(awsv1.SchemeGroupVersion, &awsv1.EC2NodeClass{})
	return &reader{
		scheme:       s,
		decoder:      kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, s, s, kjson.SerializerOptions{Strict: true}),
		out:          &Objects{},
		defined:      map[string]string{},
		maxGenerated: maxGenerated,
	}
}

// path reads a file, or the manifest files below a directory.
func (r *reader) path(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return r.file(path)
	}
	found := false
	// WalkDir visits entries in lexical order, so the result does not depend on the file system.
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			found = true
			return r.file(p)
		}
		return nil
	})
	if err == nil && !found {
		err = fmt.Errorf("%s: no .yaml, .yml or .json files in the directory", path)
	}
	return err
}

func (r *reader) file(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return r.stream(path, f)
}

// stream reads the documents of one source: YAML separated by "---" lines, or JSON (which is YAML too).
func (r *reader) stream(source string, in io.Reader) error {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(in))
	for index := 1; ; index++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		where := fmt.Sprintf("%s: document %d", source, index)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		data, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if string(data) == "null" {
			continue // nothing but comments or blank lines
		}
		if err := r.object(source, where, data); err != nil {
			return err
		}
	}
}

// object decodes one object given as JSON, or lists it as ignored when its kind is not read here.
func (r *reader) object(source, where string, data []byte) error {
	var h metav1.TypeMeta
	if !bytes.HasPrefix(data, []byte("{")) || json.Unmarshal(data, &h) != nil {
		return fmt.Errorf("%s: not a Kubernetes object: want a mapping with apiVersion and kind strings", where)
	}
	if h.APIVersion == "" || h.Kind == "" {
		return fmt.Errorf("%s: not a Kubernetes object: apiVersion and kind are required", where)
	}
	gv, err := schema.ParseGroupVersion(h.APIVersion)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	gvk := gv.WithKind(h.Kind)
	if !r.scheme.Recognizes(gvk) {
		if versions := r.scheme.VersionsForGroupKind(gvk.GroupKind()); len(versions) > 0 {
			return fmt.Errorf("%s: %s of apiVersion %s is not supported; use apiVersion %s", where, h.Kind, h.APIVersion, versions[0])
		}
		r.out.Ignored = append(r.out.Ignored, fmt.Sprintf("%s: %s/%s", source, h.Kind, name(data)))
		return nil
	}
	obj, _, err := r.decoder.Decode(data, nil, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return r.add(source, where, obj)
}

// name is the object's metadata.name, or "" when it has none; it only labels ignored objects, which are not
// validated.
func name(data []byte) string {
	var o struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(data, &o)
	return o.Metadata.Name
}

// add files a decoded object under its kind, expanding workloads.
func (r *reader) add(source, where string, obj runtime.Object) error {
	switch o := obj.(type) {
	case *corev1.List:
		for i, item := range o.Items {
			if err := r.object(source, fmt.Sprintf("%s: items[%d]", where, i), item.Raw); err != nil {
				return err
			}
		}
		return nil
	case *corev1.Pod:
		defaultRequests(&o.Spec)
		r.out.Pods = append(r.out.Pods, o)
		return r.define(where, "Pod", &o.ObjectMeta, true)
	case *corev1.Node:
		r.out.Nodes = append(r.out.Nodes, o)
		return r.define(where, "Node", &o.ObjectMeta, false)
	case *corev1.PersistentVolumeClaim:
		r.out.PersistentVolumeClaims = append(r.out.PersistentVolumeClaims, o)
		return r.define(where, "PersistentVolumeClaim", &o.ObjectMeta, true)
	case *corev1.PersistentVolume:
		r.out.PersistentVolumes = append(r.out.PersistentVolumes, o)
		return r.define(where, "PersistentVolume", &o.ObjectMeta, false)
	case *storagev1.StorageClass:
		r.out.StorageClasses = append(r.out.StorageClasses, o)
		return r.define(where, "StorageClass", &o.ObjectMeta, false)
	case *appsv1.DaemonSet:
		r.out.DaemonSets = append(r.out.DaemonSets, o)
		return r.define(where, "DaemonSet", &o.ObjectMeta, true)
	case *v1.NodePool:
		r.out.NodePools = append(r.out.NodePools, o)
		return r.define(where, "NodePool", &o.ObjectMeta, false)
	case *awsv1.EC2NodeClass:
		r.out.EC2NodeClasses = append(r.out.EC2NodeClasses, o)
		return r.define(where, "EC2NodeClass", &o.ObjectMeta, false)
	case *v1.NodeClaim:
		r.out.NodeClaims = append(r.out.NodeClaims, o)
		return r.define(where, "NodeClaim", &o.ObjectMeta, false)
	case *policyv1.PodDisruptionBudget:
		r.out.PodDisruptionBudgets = append(r.out.PodDisruptionBudgets, o)
		return r.define(where, "PodDisruptionBudget", &o.ObjectMeta, true)
	default:
		w, ok := asWorkload(obj)
		if !ok {
			// The scheme registers only the kinds above and the workloads.
			return fmt.Errorf("%s: %T is not read", where, obj)
		}
		if err := r.define(where, w.owner.Kind, w.meta, true); err != nil {
			return err
		}
		return r.expand(where, w)
	}
}

// define records that where defines an object, defaulting its namespace, and rejects a nameless object or a
// second object of the same kind and name.
func (r *reader) define(where, kind string, meta *metav1.ObjectMeta, namespaced bool) error {
	if meta.Name == "" {
		return fmt.Errorf("%s: %s has no metadata.name", where, kind)
	}
	name := meta.Name
	if namespaced {
		if meta.Namespace == "" {
			meta.Namespace = metav1.NamespaceDefault
		}
		name = meta.Namespace + "/" + meta.Name
	}
	key := kind + " " + name
	if first, ok := r.defined[key]; ok {
		return fmt.Errorf("%s: %s is defined twice, first at %s", where, key, first)
	}
	r.defined[key] = where
	return nil
}

// finish adds the StatefulSet claims the manifests do not define and returns the objects.
func (r *reader) finish() *Objects {
	for _, c := range r.claims {
		key := "PersistentVolumeClaim " + c.Namespace + "/" + c.Name
		if _, ok := r.defined[key]; ok {
			continue // defined in the manifests (bound, say), or already created for another StatefulSet
		}
		r.defined[key] = "volumeClaimTemplates"
		r.out.PersistentVolumeClaims = append(r.out.PersistentVolumeClaims, c)
	}
	return r.out
}
