package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
)

func TestSandboxFlagErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	malformed := writeManifest(t, dir, "malformed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nmetadata: [oops\n")
	noKind := writeManifest(t, dir, "nokind.json", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
---
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}
---
{"apiVersion": "v1", "metadata": {"name": "c"}}`)
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
		{"workload file missing", []string{"--workload", missing}, "--workload: reading workload file: open " + missing + ": no such file or directory; want none, demo or a manifest file"},
		{"workload file malformed", []string{"--workload", malformed}, "--workload: " + malformed + ": document 2: "},
		{"workload object without kind", []string{"--workload", noKind}, "--workload: " + noKind + ": document 3: kind is missing"},
		{"capacity without count", []string{"--capacity", "m5.large:us-east-1a:spot"}, `--capacity "m5.large:us-east-1a:spot": want TYPE:ZONE:CAPACITYTYPE=N`},
		{"capacity without zone", []string{"--capacity", "m5.large:spot=0"}, "want TYPE:ZONE:CAPACITYTYPE=N, such as m7i.large:us-east-1a:spot=0"},
		{"capacity of unknown type", []string{"--capacity", "m5.giant:us-east-1a:spot=0"}, `unknown instance type "m5.giant"; ` + "`stevedore catalog` lists them"},
		{"capacity in another zone", []string{"--zones", "us-east-1a,us-east-1b", "--capacity", "m5.large:us-east-1c:spot=0"}, `zone "us-east-1c" is not simulated; use one of us-east-1a, us-east-1b`},
		{"capacity in another region", []string{"--region", "eu-west-1", "--capacity", "m5.large:us-east-1a:spot=0"}, "use one of eu-west-1a, eu-west-1b, eu-west-1c"},
		{"capacity of unknown capacity type", []string{"--capacity", "m5.large:us-east-1a:reserved=0"}, `capacity type "reserved" is neither on-demand nor spot`},
		{"capacity negative", []string{"--capacity", "m5.large:us-east-1a:spot=-1"}, `count "-1" is not a whole number of 0 or more`},
		{"capacity not a number", []string{"--capacity", "m5.large:us-east-1a:spot=many"}, `count "many" is not a whole number`},
		{"capacity pool twice", []string{"--capacity", "m5.large:us-east-1a:spot=0", "--capacity", "m5.large:us-east-1a:spot=2"}, "the same pool as \"m5.large:us-east-1a:spot=0\""},
		{"throttle negative", []string{"--throttle-every", "-2"}, "--throttle-every -2 is negative; use 0"},
		{"latency negative", []string{"--latency", "-5ms"}, "--latency -5ms is negative; use 0s"},
		{"unjoinable negative", []string{"--unjoinable", "-1"}, "--unjoinable -1 is negative; use 0 for none"},
		{"unjoinable not a number", []string{"--unjoinable", "two"}, "invalid argument \"two\""},
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
	for _, want := range []string{
		"--state-dir", "--boot-delay", "--zones", "--region", "No AWS account",
		"--workload", "--capacity", "--throttle-every", "--latency", "--unjoinable", "<aws-endpoint>/admin/",
	} {
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

func writeManifest(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSandboxFlagsParsed checks what good flags become: the simulator's faults and the workload to run.
func TestSandboxFlagsParsed(t *testing.T) {
	manifest := writeManifest(t, t.TempDir(), "app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
	for _, tc := range []struct {
		name         string
		args         []string
		wantFaults   sandbox.Faults
		wantWorkload string
	}{
		{"defaults", nil, sandbox.Faults{}, "none"},
		{"demo", []string{"--workload", "demo"}, sandbox.Faults{}, "demo"},
		{"manifest file", []string{"--workload", manifest}, sandbox.Faults{}, manifest},
		{"every fault", []string{
			"--zones", "us-east-1a,us-east-1d",
			"--capacity", "m7i.large:us-east-1a:spot=0", "--capacity", "c6g.xlarge:us-east-1d:on-demand=3",
			"--throttle-every", "7", "--latency", "150ms", "--unjoinable", "2",
		}, sandbox.Faults{
			Capacity: []awssim.CapacityLimit{
				{InstanceType: "m7i.large", Zone: "us-east-1a", CapacityType: "spot", Count: 0},
				{InstanceType: "c6g.xlarge", Zone: "us-east-1d", CapacityType: "on-demand", Count: 3},
			},
			ThrottleEveryNth: 7, Latency: 150 * time.Millisecond, Unjoinable: []awssim.Unjoinable{{Count: 2}},
		}, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &sandboxOptions{}
			if err := sandboxCommand(o).ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := o.validate(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o.faults, tc.wantFaults) {
				t.Errorf("faults %+v; want %+v", o.faults, tc.wantFaults)
			}
			if got := o.parsedWorkload.String(); got != tc.wantWorkload {
				t.Errorf("workload %q; want %q", got, tc.wantWorkload)
			}
		})
	}
}
