package test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// ExpectApplied creates each object, or updates it (spec and then status) if it exists, and fails the test on
// error. Objects are refreshed with what the API server stored, defaults included.
func ExpectApplied(ctx context.Context, t testing.TB, c client.Client, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := Apply(ctx, c, o); err != nil {
			t.Fatalf("applying %T %s: %v", o, o.GetName(), err)
		}
	}
}

// Apply creates obj, or updates it if it exists, keeping the desired status.
func Apply(ctx context.Context, c client.Client, obj client.Object) error {
	desired := obj.DeepCopyObject().(client.Object)
	current := obj.DeepCopyObject().(client.Object)
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), current)
	switch {
	case apierrors.IsNotFound(err):
		if err := c.Create(ctx, obj); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		obj.SetResourceVersion(current.GetResourceVersion())
		if err := c.Update(ctx, obj); err != nil {
			return err
		}
	}
	// Status is a subresource: write it separately when the kind has one; kinds without one answer NotFound.
	desired.SetResourceVersion(obj.GetResourceVersion())
	if err := c.Status().Update(ctx, desired); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
}

// ExpectRejected asserts that applying obj fails with an Invalid error whose message contains every fragment.
// It is how CEL rules are proven against the real API server.
func ExpectRejected(ctx context.Context, t testing.TB, c client.Client, obj client.Object, fragments ...string) {
	t.Helper()
	err := c.Create(ctx, obj)
	if err == nil {
		_ = c.Delete(ctx, obj)
		t.Fatalf("creating %T %s: accepted, want rejection containing %q", obj, obj.GetName(), fragments)
	}
	ExpectInvalid(t, err, fragments...)
}

// ExpectInvalid asserts that err is an Invalid API error containing every fragment.
func ExpectInvalid(t testing.TB, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want an Invalid error containing %q", fragments)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("got error %v, want an Invalid error", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err.Error(), f)
		}
	}
}

// ExpectExists fetches obj, failing the test if it is missing.
func ExpectExists(ctx context.Context, t testing.TB, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatalf("getting %T %s: %v", obj, obj.GetName(), err)
	}
}

// ExpectNotFound fails the test if any object still exists.
func ExpectNotFound(ctx context.Context, t testing.TB, c client.Client, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		err := c.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopyObject().(client.Object))
		if !apierrors.IsNotFound(err) {
			t.Fatalf("%T %s: got %v, want NotFound", o, o.GetName(), err)
		}
	}
}

// ExpectDeleted deletes each object, ignoring ones already gone.
func ExpectDeleted(ctx context.Context, t testing.TB, c client.Client, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := c.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("deleting %T %s: %v", o, o.GetName(), err)
		}
	}
}

// ExpectReconciled calls Reconcile for obj directly, as the manager would, and returns the result.
func ExpectReconciled(ctx context.Context, t testing.TB, r reconcile.Reconciler, obj client.Object) reconcile.Result {
	t.Helper()
	res, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
	if err != nil {
		t.Fatalf("reconciling %T %s: %v", obj, obj.GetName(), err)
	}
	return res
}

// ExpectReconcileFailed calls Reconcile for obj and returns its error, failing the test if there is none.
func ExpectReconcileFailed(ctx context.Context, t testing.TB, r reconcile.Reconciler, obj client.Object) error {
	t.Helper()
	_, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
	if err == nil {
		t.Fatalf("reconciling %T %s: succeeded, want an error", obj, obj.GetName())
	}
	return err
}
