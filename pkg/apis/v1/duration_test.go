package v1

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNillableDurationJSON(t *testing.T) {
	type holder struct {
		D NillableDuration `json:"d,omitzero"`
	}
	for _, tc := range []struct {
		in, out string
		never   bool
		dur     time.Duration
	}{
		{in: `{"d":"720h"}`, out: `{"d":"720h0m0s"}`, dur: 720 * time.Hour},
		{in: `{"d":"Never"}`, out: `{"d":"Never"}`, never: true},
		{in: `{}`, out: `{}`},
		{in: `{"d":null}`, out: `{}`},
	} {
		var h holder
		if err := json.Unmarshal([]byte(tc.in), &h); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if h.D.IsNever() != tc.never || (h.D.Duration == nil) != (tc.dur == 0) || (h.D.Duration != nil && *h.D.Duration != tc.dur) {
			t.Errorf("%s decoded to %+v", tc.in, h.D)
		}
		out, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tc.out {
			t.Errorf("%s round-tripped to %s, want %s", tc.in, out, tc.out)
		}
	}
	var h holder
	if err := json.Unmarshal([]byte(`{"d":"soon"}`), &h); err == nil {
		t.Error("an unparseable duration decoded without error")
	}
}
