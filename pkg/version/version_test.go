package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		name                       string
		version, commit, buildDate string
		want                       []string
	}{
		{
			name:    "unstamped build",
			version: "dev", commit: "unknown", buildDate: "unknown",
			want: []string{"dev (commit unknown, built unknown, "},
		},
		{
			name:    "stamped build",
			version: "v0.1.0", commit: "0123abc", buildDate: "2026-01-02T03:04:05Z",
			want: []string{"v0.1.0 (commit 0123abc, built 2026-01-02T03:04:05Z, "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stamp(t, tt.version, tt.commit, tt.buildDate)
			got := String()
			want := append(tt.want, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("String() = %q, want it to contain %q", got, w)
				}
			}
		})
	}
}

// stamp sets the linker-stamped variables for one test and restores them afterwards.
func stamp(t *testing.T, version, commit, buildDate string) {
	t.Helper()
	oldVersion, oldCommit, oldBuildDate := Version, Commit, BuildDate
	t.Cleanup(func() { Version, Commit, BuildDate = oldVersion, oldCommit, oldBuildDate })
	Version, Commit, BuildDate = version, commit, buildDate
}
