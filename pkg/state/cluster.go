package state

import (
	"context"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// DefaultNominationTTL is how long a nomination holds when Options leave it unset: twice the provisioner's
// default longest batch, so a pod is never provided for twice while its first plan is still being acted on.
const DefaultNominationTTL = 20 * time.Second

// NominationGraceAfterInitialized is how long a nomination to a node outlives the node's initialization: long
// enough for the kube-scheduler, woken by the node's last update, to bind the pods that fit.
const NominationGraceAfterInitialized = 10 * time.Second

// Options tune the model; zero values take the defaults.
type Options struct {
	// NominationTTL bounds how long a nomination holds if the pod neither binds nor loses its target.
	NominationTTL time.Duration
}

// Cluster is the model. Its methods are safe for concurrent use.
type Cluster struct {
	kube  client.Reader
	cloud cloudprovider.CloudProvider
	clock clock.PassiveClock
	ttl   time.Duration

	mu     sync.RWMutex
	nodes  map[string]*corev1.Node
	claims map[string]*v1.NodeClaim
	// nominations maps a pending pod to where the provisioner placed it.
	nominations map[types.NamespacedName]nomination
	// events tracks pods arriving on and leaving nodes; see podevents.go.
	events podEvents
	// initializedAt is when the model first saw each node initialized.
	initializedAt map[string]time.Time
}

type nomination struct {
	target  string
	expires time.Time
}

// New returns an empty model that lists pods, DaemonSets and volumes through kube (the manager's cache in
// production) and asks cloud for instance types.
func New(kube client.Reader, cloud cloudprovider.CloudProvider, clk clock.PassiveClock, opts Options) *Cluster {
	if opts.NominationTTL <= 0 {
		opts.NominationTTL = DefaultNominationTTL
	}
	return &Cluster{
		kube: kube, cloud: cloud, clock: clk, ttl: opts.NominationTTL,
		nodes:         map[string]*corev1.Node{},
		claims:        map[string]*v1.NodeClaim{},
		nominations:   map[types.NamespacedName]nomination{},
		initializedAt: map[string]time.Time{},
		events:        podEvents{podNode: map[types.NamespacedName]string{}, lastEvent: map[string]time.Time{}},
	}
}

// UpdateNode records a Node as an informer delivered it. The object is kept, not copied: callers must not
// modify it afterwards.
func (c *Cluster) UpdateNode(n *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.nodes[n.Name]; ok && newer(old.ResourceVersion, n.ResourceVersion) {
		return
	}
	c.nodes[n.Name] = n
	if _, seen := c.initializedAt[n.Name]; !seen && n.Labels[v1.NodeInitializedLabelKey] == "true" {
		c.initializedAt[n.Name] = c.clock.Now()
	}
}

// DeleteNode forgets a Node and the nominations to it.
func (c *Cluster) DeleteNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.nodes, name)
	delete(c.initializedAt, name)
	delete(c.events.lastEvent, name)
	c.dropNominationsTo(name)
}

// UpdateNodeClaim records a NodeClaim as an informer delivered it, or as the provisioner created it (so the
// next batch counts it before the cache has caught up). An older version than the one held is ignored. The
// object is kept, not copied.
func (c *Cluster) UpdateNodeClaim(nc *v1.NodeClaim) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.claims[nc.Name]; ok && newer(old.ResourceVersion, nc.ResourceVersion) {
		return
	}
	c.claims[nc.Name] = nc
}

// DeleteNodeClaim forgets a NodeClaim and the nominations to it, so its pods are provisioned again.
func (c *Cluster) DeleteNodeClaim(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.claims, name)
	c.dropNominationsTo(name)
}

// UpdatePod ends a pod's nomination once the pod is bound, finished or being deleted, and records its arrival
// on or departure from a node.
func (c *Cluster) UpdatePod(p *corev1.Pod) {
	c.trackPod(p)
	if p.Spec.NodeName == "" && p.DeletionTimestamp.IsZero() && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.nominations, types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
}

// DeletePod ends a pod's nomination and records its departure from its node.
func (c *Cluster) DeletePod(pod types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.nominations, pod)
	if node, ok := c.events.podNode[pod]; ok {
		c.forgetPod(pod, node)
	}
}

// Nominate records that the pods were placed on target, an existing Node or a NodeClaim.
func (c *Cluster) Nominate(target string, pods ...types.NamespacedName) {
	expires := c.clock.Now().Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range pods {
		c.nominations[p] = nomination{target: target, expires: expires}
	}
}

// NominatedTo returns the Node or NodeClaim the pod is nominated to while that nomination is live: not
// expired, and its target still modelled and not being deleted.
func (c *Cluster) NominatedTo(pod types.NamespacedName) (string, bool) {
	now := c.clock.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.nominations[pod]
	if !ok || c.expired(n, now) {
		return "", false
	}
	return n.target, true
}

// expired reports whether a nomination no longer holds. The caller holds the lock.
func (c *Cluster) expired(n nomination, now time.Time) bool {
	if !now.Before(n.expires) {
		return true
	}
	if node, ok := c.nodes[n.target]; ok {
		// Once the target has been initialized for a while, the kube-scheduler has had its chance: a pod still
		// pending will not land there (other pods took the room), so it is provisioned for again now rather than
		// when the nomination runs out.
		at, initialized := c.initializedAt[n.target]
		return !node.DeletionTimestamp.IsZero() || (initialized && now.Sub(at) >= NominationGraceAfterInitialized)
	}
	if claim, ok := c.claims[n.target]; ok {
		return !claim.DeletionTimestamp.IsZero()
	}
	return true
}

// ExpireNominations forgets nominations that no longer hold, keeping memory bounded; the provisioner calls it
// once per batch.
func (c *Cluster) ExpireNominations() {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for pod, n := range c.nominations {
		if c.expired(n, now) {
			delete(c.nominations, pod)
		}
	}
}

func (c *Cluster) dropNominationsTo(target string) {
	for pod, n := range c.nominations {
		if n.target == target {
			delete(c.nominations, pod)
		}
	}
}

// Synced reports whether the model has seen every Node and NodeClaim the reader (the cache) holds. A model
// that misses one would offer its room again, or miss its usage, so no solve may run until it is synced.
func (c *Cluster) Synced(ctx context.Context) bool {
	var nodes corev1.NodeList
	if err := c.kube.List(ctx, &nodes, client.UnsafeDisableDeepCopy); err != nil {
		return false
	}
	var claims v1.NodeClaimList
	if err := c.kube.List(ctx, &claims, client.UnsafeDisableDeepCopy); err != nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i := range nodes.Items {
		if _, ok := c.nodes[nodes.Items[i].Name]; !ok {
			return false
		}
	}
	for i := range claims.Items {
		if _, ok := c.claims[claims.Items[i].Name]; !ok {
			return false
		}
	}
	return true
}

// newer reports whether resource version a is later than b. Versions are opaque to clients in general, but
// the API server's are etcd revisions; anything that does not parse is treated as not newer, so the update wins.
func newer(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	return errA == nil && errB == nil && x > y
}
