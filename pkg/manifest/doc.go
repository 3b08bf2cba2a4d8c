// Package manifest reads Kubernetes manifests (YAML or JSON files, directories of them, or a stream such as
// standard input) into typed objects for offline tools such as `stevedore plan`. Documents are decoded strictly:
// an unknown or duplicated field is an error naming the source and the document, as is malformed YAML.
//
// Only the kinds a what-if plan reads are decoded: Pods, Nodes, PersistentVolumeClaims, PersistentVolumes,
// StorageClasses, DaemonSets, PodDisruptionBudgets, NodePools, NodeClaims and EC2NodeClasses, and the
// workloads Deployment, ReplicaSet, StatefulSet and Job, which are expanded into the pods (and StatefulSet PersistentVolumeClaims) their
// controllers would create. Other kinds are listed as ignored without being validated, and `kind: List`
// documents are read item by item.
//
// The package holds its own scheme and no state between calls. It must not import a Kubernetes client,
// controller-runtime or the solver: it turns text into objects and nothing else.
package manifest
