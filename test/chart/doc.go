// Package chart proves the Helm charts in charts/ (stevedore and stevedore-crd) with the pinned helm binary
// (bin/helm) and a real kube-apiserver: helm lint passes; rendering fails with the fix when the cluster name is
// missing; values.schema.json rejects bad values naming the field; the rendered manifests decode strictly into
// typed objects whose settings the controller's own option parser accepts; the charts install on the API server,
// the controller's pod passes the "restricted" Pod Security admission, and its ServiceAccount can do exactly what
// the controller needs, no more; and the charts' CRDs are byte-for-byte the generated ones.
//
// It holds tests only. It imports pkg/test, pkg/apis/crds, pkg/scheme, pkg/operator (to parse the rendered
// environment as the controller would) and the Kubernetes client libraries; never a controller or the cloud
// provider.
package chart
