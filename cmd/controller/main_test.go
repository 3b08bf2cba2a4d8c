package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/operator"
)

// runMainEnv, when set, makes the test binary behave as the controller binary, so the tests below can run the real
// main in a child process without building anything.
const runMainEnv = "STEVEDORE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		main()
	}
	os.Exit(m.Run())
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{
			name:       "help",
			args:       []string{"--help"},
			wantCode:   operator.ExitOK,
			wantStdout: []string{"Usage:", "--cluster-name", "CLUSTER_NAME"},
		},
		{
			name:       "version",
			args:       []string{"--version"},
			wantCode:   operator.ExitOK,
			wantStdout: []string{"controller dev"},
		},
		{
			name:       "unknown flag",
			args:       []string{"--bogus"},
			wantCode:   operator.ExitUsage,
			wantStderr: []string{"bogus", "run with --help for usage"},
		},
		{
			name:       "missing cluster name",
			wantCode:   operator.ExitUsage,
			wantStderr: []string{"--cluster-name is required", "run with --help for usage"},
		},
		{
			name:       "every invalid option reported",
			args:       []string{"--cluster-name=prod", "--log-level=loud", "--batch-max-duration=-1s"},
			wantCode:   operator.ExitUsage,
			wantStderr: []string{"--log-level", "--batch-max-duration"},
		},
		{
			name:       "invalid environment value",
			env:        map[string]string{"CLUSTER_NAME": "prod", "VM_MEMORY_OVERHEAD_PERCENT": "lots"},
			wantCode:   operator.ExitUsage,
			wantStderr: []string{"VM_MEMORY_OVERHEAD_PERCENT", "--vm-memory-overhead-percent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(key string) string { return tt.env[key] }
			code := operator.Run(context.Background(), tt.args, getenv, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("Run() = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			assertContains(t, "stdout", stdout.String(), tt.wantStdout)
			assertContains(t, "stderr", stderr.String(), tt.wantStderr)
		})
	}
}

// TestBinary runs main in a child process, checking what a user or a kubelet sees: the exit status and the output.
func TestBinary(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "help", args: []string{"--help"}, wantCode: 0, wantStdout: []string{"Usage:"}},
		{name: "unknown flag", args: []string{"--bogus"}, wantCode: 2, wantStderr: []string{"bogus", "--help"}},
		{name: "missing cluster name", wantCode: 2, wantStderr: []string{"--cluster-name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			assertContains(t, "stdout", stdout, tt.wantStdout)
			assertContains(t, "stderr", stderr, tt.wantStderr)
		})
	}
}

// run executes main in a child process with args and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	// A clean environment keeps the developer's CLUSTER_NAME and friends out of the test.
	cmd.Env = []string{runMainEnv + "=1"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return code, out.String(), errOut.String()
}

func assertContains(t *testing.T, stream, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q; %s:\n%s", stream, w, stream, got)
		}
	}
}
