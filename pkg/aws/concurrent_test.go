package aws_test

import (
	"sync"
	"testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
)

func TestConcurrentCreatesGetAnInstanceEach(t *testing.T) {
	f := setup(t)
	claims := []*v1.NodeClaim{f.claim(t), f.claim(t), f.claim(t)}
	launched := make([]*v1.NodeClaim, len(claims))
	errs := make([]error, len(claims))
	var wg sync.WaitGroup
	for i, c := range claims {
		wg.Go(func() { launched[i], errs[i] = f.cloud.Create(f.ctx, c) })
	}
	wg.Wait()

	seen := map[string]bool{}
	for i, c := range claims {
		if errs[i] != nil {
			t.Fatalf("creating %s: %v", c.Name, errs[i])
		}
		id := launched[i].Status.ProviderID
		if seen[id] {
			t.Errorf("two claims got instance %s", id)
		}
		seen[id] = true
		if launched[i].Name != c.Name || launched[i].Status.ImageID == "" {
			t.Errorf("claim %s got %s named %q with image %q", c.Name, id, launched[i].Name, launched[i].Status.ImageID)
		}
		live := f.live(t, awsv1.TagNodeClaim, c.Name)
		if len(live) != 1 || "aws:///"+live[0].Zone+"/"+live[0].ID != id {
			t.Errorf("EC2 has %+v tagged for %s, want only %s", live, c.Name, id)
		}
		got, err := f.cloud.Get(f.ctx, id)
		if err != nil || got.Name != c.Name {
			t.Errorf("Get(%s) = %+v, %v; want it named after claim %s", id, got, err, c.Name)
		}
	}
}
