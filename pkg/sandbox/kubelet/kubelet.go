package kubelet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// Options configure a Kubelet.
type Options struct {
	// Region labels the Nodes (topology.kubernetes.io/region); when empty it is the instance's zone without its
	// trailing letters, as AWS names zones.
	Region string
	// VMMemoryOverheadPercent is the share of memory the hypervisor keeps from the node, as in Stevedore's
	// capacity model; instancetype.DefaultVMMemoryOverheadPercent when zero.
	VMMemoryOverheadPercent float64
	// Clock times the retries; the real clock when nil.
	Clock clock.WithTicker
	// RetryBase and RetryMax bound the doubling wait before an API call that failed is tried again; 100ms and
	// 30s when zero.
	RetryBase, RetryMax time.Duration
	// Log reports Nodes created and deleted and calls that failed.
	Log logr.Logger
}

// Kubelet creates the Node of each simulated instance that starts running and deletes it when the instance
// terminates. Set it as awssim.Options.Hooks and call Run; the hooks never block.
type Kubelet struct {
	client client.Client
	opts   Options
	queue  workqueue.TypedRateLimitingInterface[string]

	mu sync.Mutex
	// instances holds what each queued instance should have: its Node while running, none once terminated.
	instances map[string]want
	// seq numbers the states recorded, so that process can tell whether a newer one arrived meanwhile.
	seq uint64
}

// want is the latest known state of one instance.
type want struct {
	instance   awssim.Instance
	terminated bool
	seq        uint64
}

var _ awssim.Hooks = (*Kubelet)(nil)

// New returns a Kubelet that manages Nodes through c.
func New(c client.Client, opts Options) *Kubelet {
	if opts.VMMemoryOverheadPercent == 0 {
		opts.VMMemoryOverheadPercent = instancetype.DefaultVMMemoryOverheadPercent
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 100 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 30 * time.Second
	}
	return &Kubelet{
		client: c,
		opts:   opts,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](opts.RetryBase, opts.RetryMax),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "sandbox-kubelet", Clock: opts.Clock},
		),
		instances: map[string]want{},
	}
}

// InstanceRunning queues the creation of the instance's Node.
func (k *Kubelet) InstanceRunning(in awssim.Instance) { k.record(in, false) }

// InstanceTerminated queues the deletion of the instance's Node.
func (k *Kubelet) InstanceTerminated(in awssim.Instance) { k.record(in, true) }

// record keeps the latest state of the instance and queues it. The queue holds instance IDs, so an instance
// that ran and terminated before its Node was made is only deleted, and one whose Node is being made is
// looked at again once that is done.
func (k *Kubelet) record(in awssim.Instance, terminated bool) {
	k.mu.Lock()
	k.seq++
	k.instances[in.ID] = want{instance: in, terminated: terminated, seq: k.seq}
	k.mu.Unlock()
	k.queue.Add(in.ID)
}

// Run makes the queued API calls until ctx is cancelled, retrying each failed one with backoff. It returns nil
// once ctx is cancelled.
func (k *Kubelet) Run(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		k.queue.ShutDown()
	}()
	for {
		id, shutdown := k.queue.Get()
		if shutdown {
			return nil
		}
		k.process(ctx, id)
		k.queue.Done(id)
	}
}

// process brings the Node of one instance to what the instance's latest state asks for.
func (k *Kubelet) process(ctx context.Context, id string) {
	k.mu.Lock()
	w, ok := k.instances[id]
	k.mu.Unlock()
	if !ok {
		k.queue.Forget(id)
		return
	}
	log := k.opts.Log.WithValues("instance", id, "node", w.instance.PrivateDNSName)
	var err error
	if w.terminated {
		err = k.deleteNode(ctx, w.instance)
	} else {
		err = k.ensureNode(ctx, w.instance)
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Error(err, "Retrying node")
			k.queue.AddRateLimited(id)
		}
		return
	}
	k.queue.Forget(id)
	if w.terminated {
		k.mu.Lock()
		// A newer state may have arrived while the call ran; it stays for its own turn.
		if k.instances[id].seq == w.seq {
			delete(k.instances, id)
		}
		k.mu.Unlock()
		log.V(1).Info("Deleted node")
	}
}

// ensureNode registers the instance's Node, as a kubelet does at boot, status and all: the API server takes a
// Node's status on create. A Node of the same name left by an earlier instance with the same address (still
// draining, say) blocks the registration until it is gone, as it would block a real kubelet.
func (k *Kubelet) ensureNode(ctx context.Context, in awssim.Instance) error {
	cfg, err := ParseUserData(in.UserData)
	if err != nil {
		// A kubelet with unreadable settings would not start: say why and register nothing, as retrying cannot
		// help.
		k.opts.Log.Error(err, "Not registering node: unreadable user data", "instance", in.ID)
		return nil
	}
	node, err := Node(in, cfg, k.region(in), k.opts.VMMemoryOverheadPercent)
	if err != nil {
		k.opts.Log.Error(err, "Not registering node", "instance", in.ID)
		return nil
	}
	err = k.client.Create(ctx, node)
	if err == nil {
		k.opts.Log.V(1).Info("Registered node", "instance", in.ID, "node", node.Name)
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating node %s: %w", node.Name, err)
	}
	existing := &corev1.Node{}
	if err := k.client.Get(ctx, client.ObjectKey{Name: node.Name}, existing); err != nil {
		return fmt.Errorf("reading node %s: %w", node.Name, err)
	}
	if existing.Spec.ProviderID != node.Spec.ProviderID {
		return fmt.Errorf("registering node %s: a node of that name belongs to %s", node.Name, existing.Spec.ProviderID)
	}
	return nil // registered already
}

// deleteNode deletes the instance's Node, if it is still the instance's: an address, and so a Node name, can
// pass to a later instance. Finalizers (Stevedore's) may keep the Node a while; that is their owners' business.
func (k *Kubelet) deleteNode(ctx context.Context, in awssim.Instance) error {
	node := &corev1.Node{}
	if err := k.client.Get(ctx, client.ObjectKey{Name: in.PrivateDNSName}, node); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("reading node %s: %w", in.PrivateDNSName, err)
	}
	if node.Spec.ProviderID != instance.ProviderID(in.Zone, in.ID) || !node.DeletionTimestamp.IsZero() {
		return nil
	}
	err := k.client.Delete(ctx, node, client.Preconditions{UID: &node.UID})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting node %s: %w", in.PrivateDNSName, err)
	}
	return nil
}

// region is the region the instance's Node is labelled with.
func (k *Kubelet) region(in awssim.Instance) string {
	if k.opts.Region != "" {
		return k.opts.Region
	}
	return strings.TrimRight(in.Zone, "abcdefghijklmnopqrstuvwxyz")
}
