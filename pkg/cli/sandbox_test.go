package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSandboxFlagErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	many := make([]string, 17)
	for i := range many {
		many[i] = "us-east-1" + string(rune('a'+i))
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad region", []string{"--region", "mars"}, "--region \"mars\" is not a region name"},
		{"negative boot delay", []string{"--boot-delay", "-1s"}, "--boot-delay -1s is negative; use 0s"},
		{"boot delay without a unit", []string{"--boot-delay", "5"}, "missing unit"},
		{"zone of another region", []string{"--region", "eu-west-1", "--zones", "us-east-1a"}, "--zones: \"us-east-1a\" is not a zone of --region eu-west-1"},
		{"zone without a letter", []string{"--zones", "us-east-1"}, "--zones: \"us-east-1\" is not a zone"},
		{"zone listed twice", []string{"--zones", "us-east-1a,us-east-1a"}, "--zones: \"us-east-1a\" is listed twice"},
		{"too many zones", []string{"--zones", strings.Join(many, ",")}, "--zones lists 17 zones"},
		{"state dir is a file", []string{"--state-dir", file}, "--state-dir"},
		{"positional argument", []string{"now"}, "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := execute(t, append([]string{"sandbox"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and an error mentioning %q", code, stdout, stderr, ExitUsage, tc.want)
			}
		})
	}
}

func TestSandboxHelp(t *testing.T) {
	code, stdout, _ := execute(t, "sandbox", "--help")
	for _, want := range []string{"--state-dir", "--boot-delay", "--zones", "--region", "No AWS account"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help does not mention %q:\n%s", want, stdout)
		}
	}
	if code != ExitOK {
		t.Errorf("exit %d; want %d", code, ExitOK)
	}
	if _, rootHelp, _ := execute(t, "--help"); !strings.Contains(rootHelp, "sandbox") {
		t.Errorf("the root help does not list the sandbox command:\n%s", rootHelp)
	}
}
