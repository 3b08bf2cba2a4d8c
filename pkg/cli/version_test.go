package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/version"
)

func TestVersionCommand(t *testing.T) {
	want := versionInfo{
		Version:   version.Version,
		Commit:    version.Commit,
		BuildDate: version.BuildDate,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}

	t.Run("text", func(t *testing.T) {
		for _, args := range [][]string{{"version"}, {"version", "--output", "text"}, {"version", "-o=text"}} {
			code, stdout, stderr := execute(t, args...)
			if code != ExitOK {
				t.Fatalf("Execute(%q) = %d, want %d; stderr:\n%s", args, code, ExitOK, stderr)
			}
			wantOut := "Version:    " + want.Version + "\n" +
				"Commit:     " + want.Commit + "\n" +
				"Build date: " + want.BuildDate + "\n" +
				"Go version: " + want.GoVersion + "\n" +
				"Platform:   " + want.Platform + "\n"
			if stdout != wantOut {
				t.Errorf("Execute(%q) printed\n%s\nwant\n%s", args, stdout, wantOut)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		for _, args := range [][]string{{"version", "--output", "json"}, {"version", "-o", "json"}} {
			code, stdout, stderr := execute(t, args...)
			if code != ExitOK {
				t.Fatalf("Execute(%q) = %d, want %d; stderr:\n%s", args, code, ExitOK, stderr)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("Execute(%q) printed invalid JSON %q: %v", args, stdout, err)
			}
			wantFields := map[string]string{
				"version":   want.Version,
				"commit":    want.Commit,
				"buildDate": want.BuildDate,
				"goVersion": want.GoVersion,
				"platform":  want.Platform,
			}
			if len(got) != len(wantFields) {
				t.Errorf("Execute(%q) JSON has fields %v, want %v", args, got, wantFields)
			}
			for k, v := range wantFields {
				if got[k] != v {
					t.Errorf("Execute(%q) JSON %q = %q, want %q", args, k, got[k], v)
				}
			}
		}
	})

	t.Run("unknown output format", func(t *testing.T) {
		for _, format := range []string{"yaml", "JSON", ""} {
			code, stdout, stderr := execute(t, "version", "--output="+format)
			if code != ExitUsage {
				t.Errorf("--output=%q: Execute() = %d, want %d", format, code, ExitUsage)
			}
			if stdout != "" {
				t.Errorf("--output=%q: printed %q to stdout, want nothing", format, stdout)
			}
			for _, w := range []string{"--output", "must be one of text, json"} {
				if !strings.Contains(stderr, w) {
					t.Errorf("--output=%q: stderr %q does not contain %q", format, stderr, w)
				}
			}
		}
	})
}
