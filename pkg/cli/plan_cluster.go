package cli

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/manifest"
	"github.com/stevedore-dev/stevedore/pkg/scheme"
)

// requestTimeout bounds each request to the cluster.
const requestTimeout = time.Minute

// readCluster lists, from the cluster a kubeconfig points at, the kinds plan reads from manifests. Objects of a
// Stevedore kind whose CRD is not installed are read as none, so a cluster without Stevedore can be planned with
// the built-in NodePool.
func readCluster(ctx context.Context, kubeconfig, kubeContext string) (*manifest.Objects, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, usageError{fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)}
	}
	// A cluster that does not answer fails the command rather than hanging it.
	cfg.Timeout = requestTimeout
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster of %s: %w", kubeconfig, err)
	}
	o := &manifest.Objects{}
	lists := []struct {
		kind     string
		list     client.ObjectList
		optional bool // a Stevedore CRD that may not be installed
	}{
		{kind: "Nodes", list: &corev1.NodeList{}},
		{kind: "Pods", list: &corev1.PodList{}},
		{kind: "DaemonSets", list: &appsv1.DaemonSetList{}},
		{kind: "PersistentVolumeClaims", list: &corev1.PersistentVolumeClaimList{}},
		{kind: "PersistentVolumes", list: &corev1.PersistentVolumeList{}},
		{kind: "StorageClasses", list: &storagev1.StorageClassList{}},
		{kind: "PodDisruptionBudgets", list: &policyv1.PodDisruptionBudgetList{}},
		{kind: "NodePools", list: &v1.NodePoolList{}, optional: true},
		{kind: "NodeClaims", list: &v1.NodeClaimList{}, optional: true},
		{kind: "EC2NodeClasses", list: &awsv1.EC2NodeClassList{}, optional: true},
	}
	for _, l := range lists {
		if err := c.List(ctx, l.list); err != nil {
			if l.optional && isNoKind(err) {
				continue
			}
			return nil, fmt.Errorf("listing %s: %w", l.kind, err)
		}
		keep(o, l.list)
	}
	return o, nil
}

// keep files a list's items into o.
func keep(o *manifest.Objects, list client.ObjectList) {
	switch l := list.(type) {
	case *corev1.NodeList:
		o.Nodes = pointers(l.Items)
	case *corev1.PodList:
		o.Pods = pointers(l.Items)
	case *appsv1.DaemonSetList:
		o.DaemonSets = pointers(l.Items)
	case *corev1.PersistentVolumeClaimList:
		o.PersistentVolumeClaims = pointers(l.Items)
	case *corev1.PersistentVolumeList:
		o.PersistentVolumes = pointers(l.Items)
	case *storagev1.StorageClassList:
		o.StorageClasses = pointers(l.Items)
	case *policyv1.PodDisruptionBudgetList:
		o.PodDisruptionBudgets = pointers(l.Items)
	case *v1.NodePoolList:
		o.NodePools = pointers(l.Items)
	case *v1.NodeClaimList:
		o.NodeClaims = pointers(l.Items)
	case *awsv1.EC2NodeClassList:
		o.EC2NodeClasses = pointers(l.Items)
	}
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// isNoKind reports whether the API server does not serve the kind: its CRD is not installed.
func isNoKind(err error) bool {
	return meta.IsNoMatchError(err) || apierrors.IsNotFound(err)
}
