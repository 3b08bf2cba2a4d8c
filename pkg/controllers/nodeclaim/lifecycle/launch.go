package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// launch creates the claim's instance unless the claim already records one. It is the only caller of
// CloudProvider.Create. Create may run again for a claim whose previous launch was never recorded (a crash or a
// failed write after it); the cloud provider then returns the instance it already launched for the claim.
func (c *Controller) launch(ctx context.Context, p *pass) (reconcile.Result, error) {
	claim := p.claim
	if claim.Status.ProviderID != "" {
		c.launches.forget(claim.UID)
		return reconcile.Result{}, nil
	}
	pool := claim.Labels[v1.NodePoolLabelKey]
	if launched, at := c.launches.recall(claim.UID, c.clock.Now()); launched != nil {
		// This claim was launched moments ago, but the copy read (from a cache that has not caught up, or after
		// a failed status write) does not show it yet.
		record(claim, launched)
		markLaunched(claim, at)
		return reconcile.Result{}, nil
	}
	launched, err := c.cloud.Create(ctx, claim.DeepCopy())
	switch {
	case cloudprovider.IsInsufficientCapacityError(err):
		c.metrics.launchFailures.WithLabelValues(pool, v1.ReasonInsufficientCapacity).Inc()
		// The claim cannot be launched as written, and its spec is immutable: deleting it returns its pods to
		// the provisioner, whose next solve avoids the offerings the cloud just reported as exhausted.
		if deleteErr := c.deleteClaim(ctx, claim); deleteErr != nil {
			return reconcile.Result{}, deleteErr
		}
		p.deleted = true
		c.publish(claim, insufficientCapacity(err))
		log.FromContext(ctx).Info("deleted nodeclaim: insufficient capacity", "error", err.Error())
		return reconcile.Result{}, nil
	case cloudprovider.IsNodeClassNotReadyError(err):
		c.metrics.launchFailures.WithLabelValues(pool, v1.ReasonNodeClassNotReady).Inc()
		if was := claim.Conditions().Get(v1.ConditionTypeLaunched); was == nil || was.Reason != v1.ReasonNodeClassNotReady {
			c.publish(claim, nodeClassNotReady(err))
		}
		c.markLaunchFailed(claim, v1.ReasonNodeClassNotReady, err.Error())
		return reconcile.Result{RequeueAfter: nodeClassPoll}, nil
	case err != nil:
		c.metrics.launchFailures.WithLabelValues(pool, v1.ReasonLaunchFailed).Inc()
		// Shown on the claim (kubectl describe) as well as logged: an over-size user data document or a
		// permission the controller lacks is the user's to fix.
		c.markLaunchFailed(claim, v1.ReasonLaunchFailed, err.Error())
		return reconcile.Result{}, fmt.Errorf("launching nodeclaim %s: %w", claim.Name, err)
	case launched == nil || launched.Status.ProviderID == "":
		c.metrics.launchFailures.WithLabelValues(pool, v1.ReasonLaunchFailed).Inc()
		return reconcile.Result{}, fmt.Errorf("launching nodeclaim %s: %w", claim.Name, errNoProviderID)
	}
	now := c.clock.Now()
	c.launches.remember(claim.UID, launched, now)
	record(claim, launched)
	markLaunched(claim, now)
	c.metrics.launched.WithLabelValues(pool).Inc()
	c.publish(claim, launchedEvent(claim))
	log.FromContext(ctx).Info("launched nodeclaim", "provider-id", claim.Status.ProviderID,
		"instance-type", claim.Labels[corev1.LabelInstanceTypeStable])
	return reconcile.Result{}, nil
}

// markLaunched sets Launched, stamped with the controller's clock rather than the wall clock the conditions
// package uses: liveness measures the registration TTL from it.
// markLaunchFailed sets Launched False, stamping the first failure with the controller's clock: liveness
// measures how long launches have been failing from it.
func (c *Controller) markLaunchFailed(claim *v1.NodeClaim, reason, message string) {
	was := claim.Conditions().Get(v1.ConditionTypeLaunched)
	failing := was != nil && was.Status == metav1.ConditionFalse
	claim.Conditions().SetFalse(v1.ConditionTypeLaunched, reason, message)
	if !failing {
		claim.Conditions().Get(v1.ConditionTypeLaunched).LastTransitionTime = metav1.NewTime(c.clock.Now()).Rfc3339Copy()
	}
}

func markLaunched(claim *v1.NodeClaim, at time.Time) {
	if claim.Conditions().IsTrue(v1.ConditionTypeLaunched) {
		return
	}
	claim.Conditions().SetTrue(v1.ConditionTypeLaunched)
	claim.Conditions().Get(v1.ConditionTypeLaunched).LastTransitionTime = metav1.NewTime(at).Rfc3339Copy()
}

// launchMemory is how long a launch result is remembered for a claim that does not show it yet: far longer than
// a cache takes to catch up or a failed write takes to be retried. Past it, Create runs again, and the cloud
// provider returns the instance it launched for the claim.
const launchMemory = 5 * time.Minute

// launches remembers recent launch results by claim UID, so that a reconcile reading a claim from before its
// provider ID was recorded does not call Create again.
type launches struct {
	mu    sync.Mutex
	byUID map[types.UID]launchRecord
}

type launchRecord struct {
	claim *v1.NodeClaim
	at    time.Time
}

func (l *launches) remember(uid types.UID, launched *v1.NodeClaim, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUID == nil {
		l.byUID = map[types.UID]launchRecord{}
	}
	for k, r := range l.byUID {
		if now.Sub(r.at) >= launchMemory {
			delete(l.byUID, k)
		}
	}
	l.byUID[uid] = launchRecord{claim: launched.DeepCopy(), at: now}
}

// recall returns the claim's remembered launch and when it happened, or nil.
func (l *launches) recall(uid types.UID, now time.Time) (*v1.NodeClaim, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.byUID[uid]
	if !ok || now.Sub(r.at) >= launchMemory {
		return nil, time.Time{}
	}
	return r.claim.DeepCopy(), r.at
}

func (l *launches) forget(uid types.UID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byUID, uid)
}

var errNoProviderID = errors.New("the cloud provider returned no provider ID")

// record copies what the cloud provider reports of the launched instance onto the claim: its identity and
// resources in status, and every label (instance type, zone, capacity type, architecture, ...) and annotation
// it returned, so that the claim describes the node before the node exists.
func record(claim, launched *v1.NodeClaim) {
	claim.Status.ProviderID = launched.Status.ProviderID
	claim.Status.ImageID = launched.Status.ImageID
	claim.Status.Capacity = launched.Status.Capacity.DeepCopy()
	claim.Status.Allocatable = launched.Status.Allocatable.DeepCopy()
	if len(launched.Labels) > 0 {
		if claim.Labels == nil {
			claim.Labels = map[string]string{}
		}
		maps.Copy(claim.Labels, launched.Labels)
	}
	if len(launched.Annotations) > 0 {
		if claim.Annotations == nil {
			claim.Annotations = map[string]string{}
		}
		maps.Copy(claim.Annotations, launched.Annotations)
	}
}
