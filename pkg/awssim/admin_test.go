package awssim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// admin sends a request to the admin API, decodes a JSON answer into out when it is not nil, and returns the
// status code.
func admin(t *testing.T, e env, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: content type %q, want application/json", method, path, ct)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decoding: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func TestAdminState(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{ClusterName: "blue"}, 1)
	ids := launch(t, e, 2, "admin")
	var state awssim.AdminState
	if code := admin(t, e, http.MethodGet, "/admin/state", "", &state); code != http.StatusOK {
		t.Fatalf("GET /admin/state = %d", code)
	}
	if state.Region != "us-east-1" || state.ClusterName != "blue" || state.States["running"] != 2 || len(state.Instances) != 2 ||
		!equal(state.LaunchTemplates, []string{"stevedore-default"}) {
		t.Fatalf("state = %+v; want two running instances in us-east-1 for cluster blue, from stevedore-default", state)
	}
	for i, in := range state.Instances {
		if in.ID != ids[i] || in.InstanceType != "m5.large" || in.Zone != "us-east-1a" || in.CapacityType != "on-demand" ||
			in.PrivateIP == "" || in.Tags["stevedore.dev/nodeclaim"] != "admin" {
			t.Errorf("instance %d = %+v", i, in)
		}
	}
}

func TestAdminCapacity(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	defaultTemplate(t, e)
	var state awssim.AdminState
	code := admin(t, e, http.MethodPost, "/admin/capacity",
		`{"instanceType": "m5.large", "zone": "us-east-1a", "capacityType": "spot", "count": 0}`, &state)
	if code != http.StatusOK || !equal(state.Capacity, []awssim.CapacityLimit{{InstanceType: "m5.large", Zone: "us-east-1a", CapacityType: "spot"}}) {
		t.Fatalf("POST /admin/capacity = %d, capacity %+v; want the spot pool limited to 0", code, state.Capacity)
	}
	out, err := e.client.CreateFleet(t.Context(), fleetInput(1, types.DefaultTargetCapacityTypeSpot, "ice",
		fleetOverride("m5.large", subnets(t, e)["us-east-1a"], 0)))
	if err != nil || len(out.Instances) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].ErrorCode) != "InsufficientInstanceCapacity" {
		t.Fatalf("fleet after limiting = %+v, %v; want InsufficientInstanceCapacity", out, err)
	}
	if code := admin(t, e, http.MethodPost, "/admin/capacity",
		`{"instanceType": "m5.large", "zone": "us-east-1a", "capacityType": "spot", "count": -1}`, &state); code != http.StatusOK || len(state.Capacity) != 0 {
		t.Errorf("removing the limit = %d, capacity %+v; want no limits", code, state.Capacity)
	}

	for _, tc := range []struct{ name, method, path, body string }{
		{"unknown type", http.MethodPost, "/admin/capacity", `{"instanceType": "m5.enormous", "zone": "us-east-1a", "capacityType": "spot"}`},
		{"unknown zone", http.MethodPost, "/admin/capacity", `{"instanceType": "m5.large", "zone": "mars-1a", "capacityType": "spot"}`},
		{"bad capacity type", http.MethodPost, "/admin/capacity", `{"instanceType": "m5.large", "zone": "us-east-1a", "capacityType": "cheap"}`},
		{"unknown field", http.MethodPost, "/admin/capacity", `{"instanceTypo": "m5.large"}`},
		{"not JSON", http.MethodPost, "/admin/throttle", `every second`},
	} {
		var body map[string]string
		if code := admin(t, e, tc.method, tc.path, tc.body, &body); code != http.StatusBadRequest || body["error"] == "" {
			t.Errorf("%s: %d %v, want 400 with an error", tc.name, code, body)
		}
	}
	if code := admin(t, e, http.MethodGet, "/admin/capacity", "", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /admin/capacity = %d, want 405", code)
	}
	if code := admin(t, e, http.MethodGet, "/admin/nope", "", nil); code != http.StatusNotFound {
		t.Errorf("GET /admin/nope = %d, want 404", code)
	}
}

func TestAdminThrottle(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	var state awssim.AdminState
	if code := admin(t, e, http.MethodPost, "/admin/throttle", `{"everyNth": 1}`, &state); code != http.StatusOK || state.ThrottleEveryNth != 1 {
		t.Fatalf("POST /admin/throttle = %d, %+v", code, state)
	}
	_, err := e.client.DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{})
	if got, want := errorCode(err), "RequestLimitExceeded"; got != want {
		t.Errorf("error code %q while throttled, want %q", got, want)
	}
	// The admin API itself is never throttled, so throttling can always be turned off.
	if code := admin(t, e, http.MethodPost, "/admin/throttle", `{"everyNth": 0}`, &state); code != http.StatusOK || state.ThrottleEveryNth != 0 {
		t.Fatalf("POST /admin/throttle = %d, %+v", code, state)
	}
	if _, err := e.client.DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{}); err != nil {
		t.Errorf("after turning throttling off: %v", err)
	}
}
