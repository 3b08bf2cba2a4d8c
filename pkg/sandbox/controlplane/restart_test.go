package controlplane

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestStopAndRestart stops the shared control plane, proves nothing is left running, starts it again on the
// same state directory and leaves the new one as the shared control plane for any later test.
func TestStopAndRestart(t *testing.T) {
	ctx, cs := testContext(t), clientset(t)
	marker := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "survives-restart", Namespace: metav1.NamespaceDefault},
		Data:       map[string]string{"k": "v"},
	}
	if _, err := cs.CoreV1().ConfigMaps(metav1.NamespaceDefault).Create(ctx, marker, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stateDir := shared.opts.StateDir
	caBefore, err := os.ReadFile(filepath.Join(stateDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pids := shared.PIDs()
	if len(pids) != 5 {
		t.Fatalf("PIDs() = %v, want the five components", pids)
	}
	u, err := url.Parse(shared.URL)
	if err != nil {
		t.Fatal(err)
	}

	if err := shared.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for name, pid := range pids {
		if !groupGone(pid) {
			t.Errorf("%s (pid %d) is still running after Stop", name, pid)
		}
	}
	l, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Errorf("API port still taken after Stop: %v", err)
	} else {
		_ = l.Close()
	}
	if err := shared.Wait(); err != nil {
		t.Errorf("Wait after a requested Stop = %v, want nil", err)
	}

	// Not the test's context: the restarted control plane outlives this test, and TestMain stops it.
	restarted, err := Start(context.Background(), Options{StateDir: stateDir})
	if err != nil {
		t.Fatalf("restarting on the same state directory: %v", err)
	}
	shared = restarted
	t.Logf("restarted in %s", restarted.StartupDuration)
	caAfter, err := os.ReadFile(filepath.Join(stateDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(caBefore, caAfter) {
		t.Error("the CA was regenerated; a restart must reuse the state directory's certificates")
	}
	got, err := clientset(t).CoreV1().ConfigMaps(metav1.NamespaceDefault).Get(context.Background(), "survives-restart", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading the object created before the restart: %v", err)
	}
	if got.Data["k"] != "v" {
		t.Errorf("data = %v, want k=v", got.Data)
	}
}
