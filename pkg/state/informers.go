package state

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

// Watch feeds the model from the informers of the manager's cache: Nodes, NodeClaims, and Pods (to end
// nominations). It may be called before the cache starts; handlers run as the informers deliver.
func (c *Cluster) Watch(ctx context.Context, informers cache.Informers) error {
	handlers := []struct {
		obj    client.Object
		update func(any)
		remove func(any)
	}{
		{&corev1.Node{}, func(o any) {
			if n, ok := o.(*corev1.Node); ok {
				c.UpdateNode(n)
			}
		}, func(o any) {
			if n, ok := o.(*corev1.Node); ok {
				c.DeleteNode(n.Name)
			}
		}},
		{&v1.NodeClaim{}, func(o any) {
			if nc, ok := o.(*v1.NodeClaim); ok {
				c.UpdateNodeClaim(nc)
			}
		}, func(o any) {
			if nc, ok := o.(*v1.NodeClaim); ok {
				c.DeleteNodeClaim(nc.Name)
			}
		}},
		{&corev1.Pod{}, func(o any) {
			if p, ok := o.(*corev1.Pod); ok {
				c.UpdatePod(p)
			}
		}, func(o any) {
			if p, ok := o.(*corev1.Pod); ok {
				c.DeletePod(types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
			}
		}},
	}
	for _, h := range handlers {
		informer, err := informers.GetInformer(ctx, h.obj)
		if err != nil {
			return fmt.Errorf("getting the %T informer: %w", h.obj, err)
		}
		if _, err := informer.AddEventHandler(Handler(h.update, h.remove)); err != nil {
			return fmt.Errorf("watching %T: %w", h.obj, err)
		}
	}
	return nil
}

// Handler adapts update and delete callbacks to an informer's event handler. A delete whose final state the
// informer missed arrives as a tombstone; the object inside it is what is passed on.
func Handler(update, remove func(obj any)) toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { update(obj) },
		UpdateFunc: func(_, obj any) { update(obj) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			remove(obj)
		},
	}
}
