package kubelet_test

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/stevedore-dev/stevedore/pkg/aws/userdata"
	"github.com/stevedore-dev/stevedore/pkg/sandbox/kubelet"
)

// node is the node settings the tests render user data from, as Stevedore's launch templates do.
func node(custom string) userdata.Node {
	return userdata.Node{
		ClusterName: "sandbox", ClusterEndpoint: "https://127.0.0.1:6443", ClusterCA: []byte("-----BEGIN CERTIFICATE-----\n"),
		ServiceCIDR: "10.96.0.0/12", MaxPods: 58,
		KubeReserved:   map[string]string{"cpu": "80m", "memory": "893Mi", "ephemeral-storage": "1Gi"},
		SystemReserved: map[string]string{"memory": "100Mi"},
		EvictionHard:   map[string]string{"memory.available": "200Mi", "nodefs.available": "10%"},
		Labels:         map[string]string{"stevedore.dev/nodepool": "default", "team": "web"},
		Taints: []corev1.Taint{
			{Key: "stevedore.dev/unregistered", Effect: corev1.TaintEffectNoExecute},
			{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule},
		},
		Custom: custom,
	}
}

// wantConfig is what a kubelet reads back from user data rendered from node("").
func wantConfig() kubelet.Config {
	n := node("")
	return kubelet.Config{
		MaxPods: n.MaxPods, Labels: n.Labels, Taints: n.Taints,
		KubeReserved: n.KubeReserved, SystemReserved: n.SystemReserved, EvictionHard: n.EvictionHard,
	}
}

func render(t *testing.T, f func(userdata.Node) (string, error), n userdata.Node) string {
	t.Helper()
	s, err := f(n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseUserDataReadsWhatStevedoreRenders(t *testing.T) {
	for _, tc := range []struct {
		name     string
		userData string
	}{
		{"al2023", render(t, userdata.AL2023, node(""))},
		{"al2023 after the user's script", render(t, userdata.AL2023, node("#!/bin/bash\necho hello\n"))},
		{"al2023 after the user's MIME parts", render(t, userdata.AL2023, node(
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/cloud-config\n\n#cloud-config\npackages: [jq]\n--b--\n"))},
		{"bottlerocket", render(t, userdata.Bottlerocket, node(""))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kubelet.ParseUserData(tc.userData)
			if err != nil {
				t.Fatal(err)
			}
			want := wantConfig()
			// Bottlerocket groups taints by key, in key order.
			if strings.HasPrefix(tc.name, "bottlerocket") {
				want.Taints = []corev1.Taint{want.Taints[1], want.Taints[0]}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseUserData =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestParseUserDataHandWritten(t *testing.T) {
	for _, tc := range []struct {
		name, userData string
		want           kubelet.Config
	}{
		{name: "none"},
		{name: "shell script", userData: "#!/bin/bash\necho hello\n"},
		{
			name: "bare NodeConfig with kubelet flags",
			userData: "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    flags:\n" +
				"    - --node-labels=a=1,b=2\n    - --register-with-taints=gpu=true:NoSchedule,spot:PreferNoSchedule\n",
			want: kubelet.Config{Labels: map[string]string{"a": "1", "b": "2"}, Taints: []corev1.Taint{
				{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule},
				{Key: "spot", Effect: corev1.TaintEffectPreferNoSchedule},
			}},
		},
		{
			name: "bottlerocket dotted keys and comments",
			userData: "# set by hand\nsettings.kubernetes.max-pods = 17\n[settings.host-containers.admin]\nenabled = true\n" +
				"[settings.kubernetes.node-labels]\n\"example.com/role\" = \"db\" \n[settings.kubernetes.node-taints]\n" +
				"\"example.com/db\" = [\"true:NoSchedule\", \":NoExecute\",]\n",
			want: kubelet.Config{MaxPods: 17, Labels: map[string]string{"example.com/role": "db"}, Taints: []corev1.Taint{
				{Key: "example.com/db", Value: "true", Effect: corev1.TaintEffectNoSchedule},
				{Key: "example.com/db", Effect: corev1.TaintEffectNoExecute},
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kubelet.ParseUserData(tc.userData)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseUserData =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestParseUserDataRefusesWhatAKubeletWouldNotStartWith(t *testing.T) {
	for name, userData := range map[string]string{
		"MIME without boundary":  "MIME-Version: 1.0\nContent-Type: text/plain\n\nhello\n",
		"NodeConfig not YAML":    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: application/node.eks.aws\n\nkind: [\n--b--\n",
		"taint without effect":   "kind: NodeConfig\nspec:\n  kubelet:\n    flags: [\"--register-with-taints=a=b\"]\n",
		"label without value":    "kind: NodeConfig\nspec:\n  kubelet:\n    flags: [\"--node-labels=a\"]\n",
		"bottlerocket bad pods":  "[settings.kubernetes]\nmax-pods = many\n",
		"bottlerocket bad taint": "[settings.kubernetes.node-taints]\n\"a\" = [\"b:Sometimes\"]\n",
		"bottlerocket no value":  "[settings.kubernetes]\nmax-pods\n",
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := kubelet.ParseUserData(userData); err == nil {
				t.Errorf("ParseUserData = %+v, want an error", got)
			}
		})
	}
}
