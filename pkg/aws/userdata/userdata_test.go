package userdata

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func node() Node {
	return Node{
		ClusterName:     "prod",
		ClusterEndpoint: "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com",
		ClusterCA:       []byte("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"),
		ServiceCIDR:     "10.100.0.0/16",
		MaxPods:         29,
		KubeReserved:    map[string]string{"cpu": "70m", "memory": "574Mi", "ephemeral-storage": "1Gi"},
		EvictionHard:    map[string]string{"memory.available": "100Mi", "nodefs.available": "10%"},
		Labels:          map[string]string{"stevedore.dev/nodepool": "default", "team": "web"},
		Taints: []corev1.Taint{
			{Key: "stevedore.dev/unregistered", Effect: corev1.TaintEffectNoExecute},
			{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule},
		},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/aws/userdata -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestAL2023(t *testing.T) {
	for _, tc := range []struct {
		name, custom string
	}{
		{name: "al2023.golden"},
		{name: "al2023-script.golden", custom: "#!/bin/bash\necho hello > /etc/motd\n"},
		{name: "al2023-mime.golden", custom: "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\n\n--BOUNDARY\nContent-Type: text/x-shellscript\n\n#!/bin/bash\necho one\n--BOUNDARY\nContent-Type: text/cloud-config\n\n#cloud-config\npackages: [jq]\n--BOUNDARY--\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := node()
			n.Custom = tc.custom
			got, err := AL2023(n)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, got)
			again, _ := AL2023(n)
			if again != got {
				t.Error("rendering is not deterministic")
			}
			// The user's parts come first, Stevedore's NodeConfig last, so it wins where nodeadm merges.
			if i, j := strings.Index(got, "echo"), strings.Index(got, "kind: NodeConfig"); tc.custom != "" && (i < 0 || i > j) {
				t.Error("the user's part is missing or after the NodeConfig")
			}
		})
	}
}

func TestBottlerocket(t *testing.T) {
	got, err := Bottlerocket(node())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "bottlerocket.golden", got)
	n := node()
	n.Custom = "[settings.host-containers.admin]\nenabled = true\n"
	if _, err := Bottlerocket(n); err == nil || !strings.Contains(err.Error(), "spec.userData is not supported with Bottlerocket") {
		t.Errorf("custom TOML: %v", err)
	}
}

func TestRejections(t *testing.T) {
	big := node()
	big.Custom = "#!/bin/bash\n" + strings.Repeat("# padding\n", 2000)
	if _, err := AL2023(big); err == nil || !strings.Contains(err.Error(), "more than the 16384 EC2 accepts") {
		t.Errorf("oversized: %v", err)
	}
	bad := node()
	bad.Custom = "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n"
	if _, err := AL2023(bad); err == nil || !strings.Contains(err.Error(), "without a multipart boundary") {
		t.Errorf("MIME without boundary: %v", err)
	}
	empty := Node{ClusterEndpoint: "http://insecure"}
	_, err := AL2023(empty)
	for _, want := range []string{"cluster name is empty", "not an https URL", "certificate authority is empty", "max pods 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
