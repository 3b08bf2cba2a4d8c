package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/operator"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

// TestMain lets test.RunMain run this test binary as the real binary.
func TestMain(m *testing.M) {
	if os.Getenv(test.RunMainEnv) != "" {
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
			test.ExpectContains(t, "stdout", stdout.String(), tt.wantStdout)
			test.ExpectContains(t, "stderr", stderr.String(), tt.wantStderr)
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
			code, stdout, stderr := test.RunMain(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			test.ExpectContains(t, "stdout", stdout, tt.wantStdout)
			test.ExpectContains(t, "stderr", stderr, tt.wantStderr)
		})
	}
}
