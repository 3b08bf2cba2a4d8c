package ami

import (
	"slices"
	"testing"
	"time"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

// TestOrder covers what the simulator cannot show, where every image is deprecated a fixed time after it is
// built: a deprecated image newer than a current one still comes after it.
func TestOrder(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	image := func(id string, created time.Time, deprecated bool) candidate {
		return candidate{ami: awsv1.AMI{ID: id, Deprecated: deprecated}, created: created}
	}
	for _, tc := range []struct {
		name  string
		found []candidate
		want  []string
	}{
		{"newest first", []candidate{image("ami-a", day(1), false), image("ami-b", day(3), false), image("ami-c", day(2), false)},
			[]string{"ami-b", "ami-c", "ami-a"}},
		{"deprecated last even when newer", []candidate{image("ami-new", day(9), true), image("ami-old", day(1), false), image("ami-older", day(1), true)},
			[]string{"ami-old", "ami-new", "ami-older"}},
		{"ties by ID", []candidate{image("ami-b", day(1), false), image("ami-a", day(1), false)}, []string{"ami-a", "ami-b"}},
		{"duplicates once", []candidate{image("ami-a", day(1), false), image("ami-a", day(1), false)}, []string{"ami-a"}},
		{"nothing", nil, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, a := range order(tc.found) {
				got = append(got, a.ID)
			}
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
