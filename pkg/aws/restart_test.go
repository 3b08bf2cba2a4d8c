package aws_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestRestartedControllerReusesLaunchTemplates(t *testing.T) {
	f := setup(t)
	before := len(f.state(t).LaunchTemplates)
	first := f.create(t, f.claim(t))
	made := len(f.state(t).LaunchTemplates)
	if made <= before {
		t.Fatalf("the first launch of a new node class made no launch template (%d before, %d after)", before, made)
	}

	restarted, err := f.newProvider(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := restarted.CloudProvider.Create(f.ctx, f.claim(t))
	if err != nil {
		t.Fatal(err)
	}
	if after := len(f.state(t).LaunchTemplates); after != made {
		t.Errorf("the restarted controller made %d launch templates for a claim of the same shape, want none", after-made)
	}
	if second.Status.ImageID != first.Status.ImageID ||
		second.Labels[corev1.LabelInstanceTypeStable] != first.Labels[corev1.LabelInstanceTypeStable] {
		t.Errorf("after the restart launched %s from %s, before %s from %s", second.Labels[corev1.LabelInstanceTypeStable],
			second.Status.ImageID, first.Labels[corev1.LabelInstanceTypeStable], first.Status.ImageID)
	}
}
