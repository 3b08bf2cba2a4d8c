package nodeclass

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/network"
	stevedoreevents "github.com/stevedore-dev/stevedore/pkg/events"
)

// Name is the controller's name in logs and metrics.
const Name = "nodeclass"

// How often a class is re-resolved: subnets fill up, images are released and roles are edited in AWS without
// any Kubernetes event, so a Ready class is checked again every ResyncPeriod, and one that is not Ready more
// often, so that fixing AWS (tagging a subnet, creating a role) is noticed quickly.
const (
	ResyncPeriod    = 5 * time.Minute
	NotReadyPeriod  = 30 * time.Second
	maxConcurrent   = 10
	maxBlockerNames = 5
)

// Network resolves subnet and security group selector terms (network.Provider).
type Network interface {
	Subnets(ctx context.Context, nc *awsv1.EC2NodeClass) ([]network.Subnet, error)
	SecurityGroups(ctx context.Context, nc *awsv1.EC2NodeClass) ([]awsv1.SecurityGroup, error)
}

// AMIs resolves AMI selector terms for a Kubernetes version such as "1.37", newest image first (ami.Provider).
type AMIs interface {
	Resolve(ctx context.Context, nc *awsv1.EC2NodeClass, kubernetesVersion string) ([]awsv1.AMI, error)
}

// InstanceProfiles provides and removes a class's instance profile (instanceprofile.Provider). Ensure reports a
// missing role or profile, which the user must fix, as an instanceprofile.NotFoundError.
type InstanceProfiles interface {
	Ensure(ctx context.Context, nc *awsv1.EC2NodeClass) (string, error)
	Delete(ctx context.Context, nc *awsv1.EC2NodeClass) error
}

// LaunchTemplates deletes the launch templates made for a class (launchtemplate.Provider).
type LaunchTemplates interface {
	DeleteAll(ctx context.Context, nodeClassName string) error
}

// Dependencies are what the controller uses. Recorder may be nil (no events).
type Dependencies struct {
	Client           client.Client
	Network          Network
	AMIs             AMIs
	InstanceProfiles InstanceProfiles
	LaunchTemplates  LaunchTemplates
	// KubernetesVersion returns the API server's minor version, such as "1.37", which picks alias images.
	KubernetesVersion func(context.Context) (string, error)
	Recorder          events.EventRecorder
}

// Controller reconciles EC2NodeClasses.
type Controller struct {
	Dependencies
	events *stevedoreevents.Recorder
}

// NewController returns a controller using deps.
func NewController(deps Dependencies) *Controller {
	return &Controller{Dependencies: deps, events: stevedoreevents.NewRecorder(deps.Recorder, nil, dedupeWindow)}
}

// Name identifies the controller.
func (c *Controller) Name() string { return Name }

// Register watches EC2NodeClasses, and NodeClaims so that a class waiting for its claims to go is reconciled as
// they do.
func (c *Controller) Register(mgr manager.Manager) error {
	return builder.ControllerManagedBy(mgr).
		Named(Name).
		For(&awsv1.EC2NodeClass{}, builder.WithPredicates(specOrDeletion())).
		Watches(&v1.NodeClaim{}, handler.EnqueueRequestsFromMapFunc(classOf)).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).
		Complete(c)
}

// Reconcile resolves one class, or finishes deleting it.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	nc := &awsv1.EC2NodeClass{}
	if err := c.Client.Get(ctx, req.NamespacedName, nc); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !nc.DeletionTimestamp.IsZero() {
		return c.finalize(ctx, nc)
	}
	if err := c.patchMetadata(ctx, nc); err != nil {
		return reconcile.Result{}, err
	}
	stored := nc.DeepCopy()
	nc.Conditions().Initialize()
	nc.Conditions().Clear(awsv1.ConditionTypeTerminating)
	resolveErr := c.resolve(ctx, nc)
	if now := nc.Conditions().Root(); now.Status == metav1.ConditionFalse {
		if was := stored.Conditions().Root(); was == nil || was.Status != now.Status || was.Message != now.Message {
			c.publish(nc, notReady(now.Reason, now.Message))
		}
	}
	if err := c.patchStatus(ctx, stored, nc); err != nil {
		return reconcile.Result{}, errors.Join(resolveErr, err)
	}
	if resolveErr != nil {
		return reconcile.Result{}, resolveErr
	}
	if !nc.Conditions().IsTrue(conditions.Ready) {
		return reconcile.Result{RequeueAfter: NotReadyPeriod}, nil
	}
	return reconcile.Result{RequeueAfter: ResyncPeriod}, nil
}

// patchMetadata adds the finalizer and the drift hash when they are missing or stale.
func (c *Controller) patchMetadata(ctx context.Context, nc *awsv1.EC2NodeClass) error {
	stored := nc.DeepCopy()
	controllerutil.AddFinalizer(nc, awsv1.TerminationFinalizer)
	annotations := nc.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[awsv1.AnnotationEC2NodeClassHash] = Hash(nc)
	annotations[awsv1.AnnotationEC2NodeClassHashVersion] = awsv1.EC2NodeClassHashVersion
	nc.SetAnnotations(annotations)
	if equality.Semantic.DeepEqual(stored.ObjectMeta, nc.ObjectMeta) {
		return nil
	}
	// The lock keeps a concurrent writer's finalizers from being overwritten by this merge patch's list.
	if err := c.Client.Patch(ctx, nc, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adding finalizer and hash to ec2nodeclass %s: %w", nc.Name, err)
	}
	return nil
}

// patchStatus writes nc's status if it differs from stored's, so that an unchanged class costs no write (and
// wakes no watcher).
func (c *Controller) patchStatus(ctx context.Context, stored, nc *awsv1.EC2NodeClass) error {
	if equality.Semantic.DeepEqual(stored.Status, nc.Status) {
		return nil
	}
	if err := c.Client.Status().Patch(ctx, nc, client.MergeFrom(stored)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("patching status of ec2nodeclass %s: %w", nc.Name, err))
	}
	return nil
}

// specOrDeletion passes class events that need a reconcile: creation, spec changes (a new generation) and the
// start of deletion. The controller's own status and annotation writes are filtered out, so they do not loop.
func specOrDeletion() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool { return !e.ObjectNew.GetDeletionTimestamp().IsZero() },
	})
}

// classOf maps a NodeClaim to the EC2NodeClass it references.
func classOf(_ context.Context, o client.Object) []reconcile.Request {
	claim, ok := o.(*v1.NodeClaim)
	if !ok || claim.Spec.NodeClassRef == nil || claim.Spec.NodeClassRef.Group != awsv1.Group {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: claim.Spec.NodeClassRef.Name}}}
}
