package controlplane

import "testing"

func TestParseStat(t *testing.T) {
	tests := []struct {
		line      string
		wantState string
		wantGroup int
		wantOK    bool
	}{
		{"123 (sleep) S 1 120 120 0 -1", "S", 120, true},
		{"77 (odd) name) Z 1 70 70 0", "Z", 70, true},
		{"garbage", "", 0, false},
		{"5 (short) R", "", 0, false},
	}
	for _, tt := range tests {
		state, group, ok := parseStat(tt.line)
		if state != tt.wantState || group != tt.wantGroup || ok != tt.wantOK {
			t.Errorf("parseStat(%q) = %q, %d, %v; want %q, %d, %v", tt.line, state, group, ok, tt.wantState, tt.wantGroup, tt.wantOK)
		}
	}
}
