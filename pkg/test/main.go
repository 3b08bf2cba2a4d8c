package test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RunMainEnv is the variable that, when set, tells a test binary to behave as the binary under test: its TestMain calls main
// instead of running tests. RunMain sets it.
const RunMainEnv = "STEVEDORE_TEST_RUN_MAIN"

// RunMain runs the test binary itself as the binary under test (see RunMainEnv) with args, in a clean
// environment so the developer's settings stay out, and returns its exit code and output.
func RunMain(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{RunMainEnv + "=1"}
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

// ExpectContains fails the test for each fragment the named output lacks.
func ExpectContains(t testing.TB, stream, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q; %s:\n%s", stream, w, stream, got)
		}
	}
}
