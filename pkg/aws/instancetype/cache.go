package instancetype

import (
	"encoding/json"
	"hash/fnv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// Versioned is implemented by sources whose answers change while the controller runs (EC2Source,
// OfferingsSource, the live prices). Version must change whenever an answer does. A Provider caches instance
// types only when its facts, prices and offerings sources are all Versioned.
type Versioned interface {
	Version() uint64
}

// maxCachedRequests bounds the cache: a few entries per node class and NodePool pair in a busy cluster.
const maxCachedRequests = 256

// cacheKey is everything a build depends on, besides offering availability, which is applied on every read.
type cacheKey struct {
	nodeClass           types.UID
	nodeClassGeneration int64
	zones               string // the node class's status enters the build only through its subnets' zones
	nodePool            types.UID
	nodePoolGeneration  int64
	daemonSets          uint64
	facts               uint64
	prices              uint64
	offerings           uint64
}

// cacheKey returns the request's key, and false when it cannot be cached: a source that is not Versioned, or
// a node class or NodePool that is not a stored object (no UID), so its generation means nothing.
func (p *Provider) cacheKey(req Request, zones []string) (cacheKey, bool) {
	facts, ok1 := p.facts.(Versioned)
	prices, ok2 := p.pricing.(Versioned)
	if !ok1 || !ok2 || req.NodeClass.UID == "" || (req.NodePool != nil && req.NodePool.UID == "") {
		return cacheKey{}, false
	}
	key := cacheKey{
		nodeClass: req.NodeClass.UID, nodeClassGeneration: req.NodeClass.Generation, zones: strings.Join(zones, ","),
		facts: facts.Version(), prices: prices.Version(),
	}
	if p.opts.Offerings != nil {
		offerings, ok := p.opts.Offerings.(Versioned)
		if !ok {
			return cacheKey{}, false
		}
		key.offerings = offerings.Version()
	}
	if np := req.NodePool; np != nil {
		key.nodePool, key.nodePoolGeneration = np.UID, np.Generation
	}
	var err error
	if key.daemonSets, err = podsHash(req.DaemonSetPods); err != nil {
		return cacheKey{}, false
	}
	return key, true
}

// podsHash identifies the DaemonSet pods by content: they are built from the DaemonSets' templates, with no
// UID or resource version of their own to go by.
func podsHash(pods []*corev1.Pod) (uint64, error) {
	h := fnv.New64a()
	enc := json.NewEncoder(h)
	for _, pod := range pods {
		if err := enc.Encode([]any{pod.Namespace, pod.Name, pod.Labels, pod.Spec}); err != nil {
			return 0, err
		}
	}
	return h.Sum64(), nil
}

// typeCache holds built instance types by request. It is safe for concurrent use.
type typeCache struct {
	mu      sync.Mutex
	entries map[cacheKey][]*cloudprovider.InstanceType
}

func newTypeCache() *typeCache {
	return &typeCache{entries: map[cacheKey][]*cloudprovider.InstanceType{}}
}

func (c *typeCache) get(key cacheKey) ([]*cloudprovider.InstanceType, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	types, ok := c.entries[key]
	return types, ok
}

// put stores types under key and drops what a source refresh has made stale, or everything when the cache is
// full (NodePools and node classes come and go; their old generations are never asked for again).
func (c *typeCache) put(key cacheKey, types []*cloudprovider.InstanceType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.facts != key.facts || k.prices != key.prices || k.offerings != key.offerings {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxCachedRequests {
		clear(c.entries)
	}
	c.entries[key] = types
}
