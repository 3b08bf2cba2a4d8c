//go:build wire

package wire_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"k8s.io/utils/clock"

	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/fleet"
	"github.com/stevedore-dev/stevedore/pkg/aws/ice"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// cli runs the AWS CLI against the simulator and decodes its JSON output into out.
type cli struct {
	t   *testing.T
	url string
	env []string
}

func newCLI(t *testing.T, url string) cli {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("no aws command on PATH: run hack/awscli.sh (make test-wire does)")
	}
	home := t.TempDir()
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=AKIDWIRETEST", "AWS_SECRET_ACCESS_KEY=wire", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials", "AWS_PAGER=",
	}
	return cli{t: t, url: url, env: env}
}

func (c cli) run(out any, args ...string) {
	c.t.Helper()
	cmd := exec.CommandContext(c.t.Context(), "aws", append(args, "--endpoint-url", c.url, "--output", "json")...)
	cmd.Env = c.env
	stdout, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if out != nil {
		if err := json.Unmarshal(stdout, out); err != nil {
			c.t.Fatalf("aws %s printed %q: %v", strings.Join(args, " "), stdout, err)
		}
	}
}

func TestAWSCLIReadsWhatStevedoreLaunched(t *testing.T) {
	sim := awssim.New(awssim.Options{ClusterName: "wire"})
	url, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	aws := newCLI(t, url)

	var types struct {
		InstanceTypes []struct {
			InstanceType  string
			VCpuInfo      struct{ DefaultVCpus int }
			MemoryInfo    struct{ SizeInMiB int64 }
			ProcessorInfo struct{ SupportedArchitectures []string }
		}
	}
	aws.run(&types, "ec2", "describe-instance-types", "--instance-types", "m5.large", "m6g.xlarge")
	got := map[string]string{}
	for _, it := range types.InstanceTypes {
		got[it.InstanceType] = fmt.Sprintf("%d %s", it.VCpuInfo.DefaultVCpus, strings.Join(it.ProcessorInfo.SupportedArchitectures, ","))
		if it.InstanceType == "m5.large" && it.MemoryInfo.SizeInMiB != 8192 {
			t.Errorf("m5.large memory = %d MiB, want 8192", it.MemoryInfo.SizeInMiB)
		}
	}
	if got["m5.large"] != "2 x86_64" || got["m6g.xlarge"] != "4 arm64" {
		t.Errorf("describe-instance-types = %v", got)
	}

	var subnets struct {
		Subnets []struct {
			SubnetID         string `json:"SubnetId"`
			AvailabilityZone string
		}
	}
	aws.run(&subnets, "ec2", "describe-subnets", "--filters", "Name=tag:stevedore.dev/discovery,Values=wire")
	if len(subnets.Subnets) != 3 {
		t.Fatalf("describe-subnets found %d discovery-tagged subnets, want 3", len(subnets.Subnets))
	}
	subnet := subnets.Subnets[0]

	aws.run(nil, "ec2", "create-launch-template", "--launch-template-name", "wire-test",
		"--launch-template-data", `{"ImageId":"ami-0123456789abcdef0"}`,
		"--tag-specifications", `[{"ResourceType":"launch-template","Tags":[{"Key":"stevedore.dev/cluster","Value":"wire"}]}]`)
	var fleetOut struct {
		Instances []struct {
			InstanceIDs  []string `json:"InstanceIds"`
			InstanceType string
		}
		Errors []struct{ ErrorCode string }
	}
	aws.run(&fleetOut, "ec2", "create-fleet", "--type", "instant",
		"--target-capacity-specification", "TotalTargetCapacity=2,DefaultTargetCapacityType=on-demand",
		"--launch-template-configs", `[{"LaunchTemplateSpecification":{"LaunchTemplateName":"wire-test","Version":"$Latest"},`+
			`"Overrides":[{"InstanceType":"c5.large","SubnetId":"`+subnet.SubnetID+`"}]}]`,
		"--tag-specifications", `[{"ResourceType":"instance","Tags":[{"Key":"stevedore.dev/cluster","Value":"wire"},{"Key":"launched-by","Value":"cli"}]}]`)
	var cliIDs []string
	for _, i := range fleetOut.Instances {
		cliIDs = append(cliIDs, i.InstanceIDs...)
	}
	if len(cliIDs) != 2 || len(fleetOut.Errors) != 0 {
		t.Fatalf("create-fleet launched %v with errors %v, want 2 instances", cliIDs, fleetOut.Errors)
	}

	// Stevedore's own launch path, through the Go SDK.
	cfg, err := awssim.ClientConfig(t.Context(), url, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	provider := instance.NewProvider(ec2.NewFromConfig(cfg), "wire", ice.New(clock.RealClock{}, time.Minute))
	launched, err := provider.Launch(t.Context(), instance.Launch{
		NodeClaim: "default-wire1", NodePool: "default", NodeClass: "default", LaunchTemplate: "wire-test",
		CapacityType: v1.CapacityTypeOnDemand, Strategy: "lowest-price",
		Overrides: []fleet.Override{{InstanceType: "m5.large", SubnetID: subnet.SubnetID, Zone: subnet.AvailabilityZone}},
	})
	if err != nil {
		t.Fatal(err)
	}

	var described struct {
		Reservations []struct {
			Instances []struct {
				InstanceID   string `json:"InstanceId"`
				InstanceType string
				State        struct{ Name string }
				Placement    struct{ AvailabilityZone string }
				Tags         []struct{ Key, Value string }
			}
		}
	}
	aws.run(&described, "ec2", "describe-instances", "--filters", "Name=tag:stevedore.dev/cluster,Values=wire")
	seen := map[string]string{}
	for _, r := range described.Reservations {
		for _, i := range r.Instances {
			claim := ""
			for _, tag := range i.Tags {
				if tag.Key == "stevedore.dev/nodeclaim" {
					claim = tag.Value
				}
			}
			seen[i.InstanceID] = i.InstanceType + " " + i.Placement.AvailabilityZone + " " + claim
		}
	}
	if want := "m5.large " + subnet.AvailabilityZone + " default-wire1"; seen[launched.ID] != want {
		t.Errorf("describe-instances shows Stevedore's instance as %q, want %q (all: %v)", seen[launched.ID], want, seen)
	}
	for _, id := range cliIDs {
		if !strings.HasPrefix(seen[id], "c5.large ") {
			t.Errorf("describe-instances shows the CLI's instance %s as %q", id, seen[id])
		}
	}

	var terminated struct {
		TerminatingInstances []struct {
			InstanceID   string `json:"InstanceId"`
			CurrentState struct{ Name string }
		}
	}
	aws.run(&terminated, "ec2", "terminate-instances", "--instance-ids", launched.ID)
	if len(terminated.TerminatingInstances) != 1 || terminated.TerminatingInstances[0].InstanceID != launched.ID {
		t.Fatalf("terminate-instances = %+v", terminated)
	}
	if _, err := provider.Get(t.Context(), launched.ID); err == nil {
		t.Error("Stevedore still sees the instance the CLI terminated as live")
	}
	list, err := provider.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(list))
	for _, i := range list {
		ids = append(ids, i.ID)
	}
	slices.Sort(ids)
	slices.Sort(cliIDs)
	if !slices.Equal(ids, cliIDs) {
		t.Errorf("Stevedore lists %v, want the CLI's instances %v", ids, cliIDs)
	}

}
