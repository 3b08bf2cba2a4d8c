package cli

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/version"
)

// execute runs the command line with args and returns its exit code and output.
func execute(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Execute(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExecute(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{
			name:       "no arguments prints help",
			wantCode:   ExitOK,
			wantStdout: []string{"Stevedore is a node provisioner", "Available Commands:", "version"},
		},
		{
			name:     "help",
			args:     []string{"--help"},
			wantCode: ExitOK,
			wantStdout: []string{
				"Stevedore is a node provisioner", "cheapest EC2 instance types",
				"Examples:", "stevedore version --output json",
				"Available Commands:", "version     Print the version of this binary", "completion",
			},
		},
		{
			name:       "root version flag",
			args:       []string{"--version"},
			wantCode:   ExitOK,
			wantStdout: []string{"stevedore " + version.Version, runtime.Version()},
		},
		{
			name:       "subcommand help",
			args:       []string{"version", "--help"},
			wantCode:   ExitOK,
			wantStdout: []string{"stevedore version [flags]", "-o, --output format", "text, json"},
		},
		{
			name:       "unknown command",
			args:       []string{"bogus"},
			wantCode:   ExitUsage,
			wantStderr: []string{`Error: unknown command "bogus" for "stevedore"`, "Run 'stevedore --help' for usage."},
		},
		{
			name:       "misspelt command gets a suggestion",
			args:       []string{"verison"}, //nolint:misspell // the typo is the test
			wantCode:   ExitUsage,
			wantStderr: []string{`unknown command "verison"`, `did you mean "version"?`}, //nolint:misspell // as above
		},
		{
			name:       "unknown flag",
			args:       []string{"--bogus"},
			wantCode:   ExitUsage,
			wantStderr: []string{"unknown flag: --bogus", "Run 'stevedore --help' for usage."},
		},
		{
			name:       "unknown subcommand flag",
			args:       []string{"version", "--bogus"},
			wantCode:   ExitUsage,
			wantStderr: []string{"unknown flag: --bogus", "Run 'stevedore version --help' for usage."},
		},
		{
			name:       "unexpected argument",
			args:       []string{"version", "now"},
			wantCode:   ExitUsage,
			wantStderr: []string{`"stevedore version" takes no arguments, got "now"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := execute(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("Execute(%q) = %d, want %d; stderr:\n%s", tt.args, code, tt.wantCode, stderr)
			}
			assertContains(t, "stdout", stdout, tt.wantStdout)
			assertContains(t, "stderr", stderr, tt.wantStderr)
			if tt.wantCode != ExitOK && strings.Count(stderr, "Error:") != 1 {
				t.Errorf("stderr reports the error %d times, want once:\n%s", strings.Count(stderr, "Error:"), stderr)
			}
		})
	}
}

func assertContains(t *testing.T, stream, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q; %s:\n%s", stream, w, stream, got)
		}
	}
}
