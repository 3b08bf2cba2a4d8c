package sandbox

import (
	"testing"
	"time"
)

func TestSummaryString(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Summary
		want string
	}{
		{"empty", Summary{}, "nodes 0, pending pods 0, $0.0000/hour"},
		{"sorted by type then capacity type", Summary{
			Nodes: map[NodeKind]int{
				{"m5.large", "spot"}: 1, {"c6g.xlarge", "on-demand"}: 2, {"m5.large", "on-demand"}: 1,
			},
			PendingPods: 4, DollarsPerHour: 0.3124,
		}, "nodes 4 (2 c6g.xlarge/on-demand, 1 m5.large/on-demand, 1 m5.large/spot), pending pods 4, $0.3124/hour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestPriceFunc(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	spot := func(instanceType, zone string, at time.Time) (float64, bool) {
		if instanceType == "m5.large" && zone == "us-east-1a" && at.Equal(now) {
			return 0.03, true
		}
		return 0, false
	}
	price := priceFunc(map[string]float64{"m5.large": 0.096}, spot, func() time.Time { return now })
	for _, tc := range []struct {
		instanceType, zone, capacityType string
		want                             float64
		wantOK                           bool
	}{
		{"m5.large", "us-east-1a", "on-demand", 0.096, true},
		{"m5.large", "us-east-1a", "spot", 0.03, true},
		{"m5.large", "us-east-1b", "spot", 0.096, true}, // no spot price: on-demand stands in
		{"x9.huge", "us-east-1a", "on-demand", 0, false},
	} {
		got, ok := price(tc.instanceType, tc.zone, tc.capacityType)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("price(%s, %s, %s) = %v, %v; want %v, %v", tc.instanceType, tc.zone, tc.capacityType, got, ok, tc.want, tc.wantOK)
		}
	}
}
