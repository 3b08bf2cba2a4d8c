package termination_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stevedore-dev/stevedore/pkg/controllers/node/termination"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func (f *fixture) attachment(node *corev1.Node, pv string) *storagev1.VolumeAttachment {
	f.t.Helper()
	va := &storagev1.VolumeAttachment{
		ObjectMeta: metav1.ObjectMeta{Name: test.RandomName("va")},
		Spec: storagev1.VolumeAttachmentSpec{
			Attacher: "ebs.csi.aws.com",
			NodeName: node.Name,
			Source:   storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv},
		},
	}
	test.ExpectApplied(f.ctx, f.t, env.Client, va)
	f.t.Cleanup(func() { _ = env.Client.Delete(f.ctx, va) })
	return va
}

// The instance is terminated only once the drained node's volumes have detached.
func TestWaitsForVolumesToDetach(t *testing.T) {
	f := setup(t)
	node, _ := f.launch("")
	va := f.attachment(node, test.RandomName("pv"))
	f.deleteNode(node)
	f.reconcile(node)
	f.clock.Step(termination.DefaultVolumeWait / 2)
	f.reconcile(node)
	if f.instanceDeletes() != 0 {
		t.Fatal("instance deleted while a volume was still attached")
	}
	expectEvent(t, f.events(), termination.ReasonWaitingOnVolumes, "1 volume")
	test.ExpectDeleted(f.ctx, t, env.Client, va)
	f.reconcile(node)
	f.reconcile(node)
	f.expectFinalizer(node, false)
}

// A volume that never detaches holds the node only for DefaultVolumeWait after the drain.
func TestVolumeWaitIsBounded(t *testing.T) {
	f := setup(t)
	node, _ := f.launch("")
	f.attachment(node, test.RandomName("pv"))
	f.deleteNode(node)
	f.reconcile(node)
	f.clock.Step(termination.DefaultVolumeWait - 1)
	f.reconcile(node)
	if f.instanceDeletes() != 0 {
		t.Fatal("instance deleted before the volume wait ran out")
	}
	f.clock.Step(1)
	f.reconcile(node)
	f.reconcile(node)
	f.expectFinalizer(node, false)
}

// Volumes that pods staying on the node (DaemonSet pods) mount never detach, so they are not waited for.
func TestIgnoresVolumesOfPodsThatStay(t *testing.T) {
	f := setup(t)
	node, _ := f.launch("")
	pv := test.RandomName("pv")
	pvc := test.PVC("standard")
	pvc.Spec.VolumeName = pv
	test.ExpectApplied(f.ctx, t, env.Client, pvc)
	t.Cleanup(func() { _ = env.Client.Delete(f.ctx, pvc) })
	ds := test.DaemonSet()
	test.ExpectApplied(f.ctx, t, env.Client, ds)
	f.pod(node, test.WithOwner(ds, "DaemonSet"), test.WithPVC(pvc.Name))
	f.attachment(node, pv)
	f.deleteNode(node)
	f.reconcile(node)
	f.reconcile(node)
	f.expectFinalizer(node, false)
}
