package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

// TestMain lets test.RunMain run this test binary as the real binary.
func TestMain(m *testing.M) {
	if os.Getenv(test.RunMainEnv) != "" {
		main()
	}
	os.Exit(m.Run())
}

// TestBinary runs main in a child process, checking what a user sees: the exit status and the output.
func TestBinary(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "help", args: []string{"--help"}, wantStdout: []string{"Available Commands:", "version"}},
		{name: "version", args: []string{"version"}, wantStdout: []string{"Version:", "Platform:"}},
		{name: "unknown command", args: []string{"bogus"}, wantCode: 2, wantStderr: []string{`unknown command "bogus"`}},
		{name: "bad output format", args: []string{"version", "-o", "xml"}, wantCode: 2, wantStderr: []string{"--output"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := test.RunMain(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			test.ExpectContains(t, "stdout", stdout, tt.wantStdout)
			test.ExpectContains(t, "stderr", stderr, tt.wantStderr)
		})
	}
}

func TestBinaryVersionJSON(t *testing.T) {
	code, stdout, stderr := test.RunMain(t, "version", "-o", "json")
	if code != 0 {
		t.Fatalf("exit code = %d, want 0; stderr:\n%s", code, stderr)
	}
	var got struct{ Version, Commit string }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if got.Version == "" || got.Commit == "" {
		t.Errorf("version JSON = %+v, want version and commit set", got)
	}
}
