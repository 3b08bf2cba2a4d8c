package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIAMPolicyCommand(t *testing.T) {
	code, stdout, stderr := execute(t, "iam-policy", "--account-id", "111122223333", "--region", "eu-west-1", "--cluster-name", "prod")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Statement) == 0 {
		t.Fatalf("printed %q, not a policy document: %v", stdout, err)
	}
	if !strings.Contains(stdout, `"aws:ResourceTag/stevedore.dev/cluster": "prod"`) || !strings.Contains(stdout, "arn:aws:ec2:eu-west-1:") {
		t.Errorf("policy is not scoped to the cluster and region:\n%s", stdout)
	}

	code, _, stderr = execute(t, "iam-policy", "--region", "eu-west-1")
	if code != ExitUsage {
		t.Errorf("missing flags: exit %d, want %d", code, ExitUsage)
	}
	for _, want := range []string{"account ID", "cluster name"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not name %s", stderr, want)
		}
	}
}
