package lifecycle

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// liveness deletes a claim whose instance was launched but has not registered a Node within the registration
// TTL. Such an instance will not join (bad user data, no route to the API server, a broken image); deleting the
// claim has the termination controller terminate it and the provisioner launch a replacement for its pods.
// The TTL runs from the Launched condition's transition, stamped with the controller's clock.
func (c *Controller) liveness(ctx context.Context, p *pass) (reconcile.Result, error) {
	claim := p.claim
	launched := claim.Conditions().Get(v1.ConditionTypeLaunched)
	if launched != nil && launched.Status == metav1.ConditionFalse {
		return c.launchLiveness(ctx, p, launched)
	}
	if launched == nil || launched.Status != metav1.ConditionTrue || claim.Conditions().IsTrue(v1.ConditionTypeRegistered) {
		return reconcile.Result{}, nil
	}
	if waited := c.clock.Since(launched.LastTransitionTime.Time); waited < c.opts.RegistrationTTL {
		return reconcile.Result{RequeueAfter: c.opts.RegistrationTTL - waited}, nil
	}
	if err := c.deleteClaim(ctx, claim); err != nil {
		return reconcile.Result{}, err
	}
	p.deleted = true
	c.metrics.registrationTimeouts.WithLabelValues(claim.Labels[v1.NodePoolLabelKey]).Inc()
	c.publish(claim, registrationTimeout(c.opts.RegistrationTTL))
	log.FromContext(ctx).Info("deleted nodeclaim: its instance did not register a node in time",
		"provider-id", claim.Status.ProviderID, "ttl", c.opts.RegistrationTTL.String())
	return reconcile.Result{}, nil
}

// launchLiveness deletes a claim whose launch has kept failing, without a capacity error, for the registration
// TTL: its node class never became ready, or no instance type it names is known. Its pods are provisioned again,
// against whatever the cluster and the cloud offer by then, instead of waiting on this claim for ever.
func (c *Controller) launchLiveness(ctx context.Context, p *pass, launched *metav1.Condition) (reconcile.Result, error) {
	if waited := c.clock.Since(launched.LastTransitionTime.Time); waited < c.opts.RegistrationTTL {
		return reconcile.Result{RequeueAfter: c.opts.RegistrationTTL - waited}, nil
	}
	claim := p.claim
	if err := c.deleteClaim(ctx, claim); err != nil {
		return reconcile.Result{}, err
	}
	p.deleted = true
	c.metrics.registrationTimeouts.WithLabelValues(claim.Labels[v1.NodePoolLabelKey]).Inc()
	c.publish(claim, launchTimeout(c.opts.RegistrationTTL, launched.Message))
	log.FromContext(ctx).Info("deleted nodeclaim: it could not be launched in time",
		"ttl", c.opts.RegistrationTTL.String(), "last-error", launched.Message)
	return reconcile.Result{}, nil
}
