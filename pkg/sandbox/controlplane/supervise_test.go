package controlplane

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"
)

// scriptPlane is a control plane whose components are shell scripts, to exercise supervision without the
// cost of real binaries.
func scriptPlane(t *testing.T, scripts map[string]string) *ControlPlane {
	t.Helper()
	bin := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	c := newControlPlane(Options{BinDir: bin, StateDir: t.TempDir(), Clock: clock.RealClock{}, StopGrace: time.Second}, time.Now())
	for name := range scripts {
		if err := c.spawn(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = c.Stop() })
	return c
}

func TestWaitNamesTheComponentThatDied(t *testing.T) {
	c := scriptPlane(t, map[string]string{
		"etcd":  "sleep 60",
		"crash": "echo boom; exit 3",
	})
	err := c.Wait()
	if err == nil || !strings.Contains(err.Error(), "crash exited unexpectedly") {
		t.Fatalf("Wait = %v, want an error naming crash", err)
	}
	log, readErr := os.ReadFile(filepath.Join(c.opts.StateDir, "logs", "crash.log"))
	if readErr != nil || !strings.Contains(string(log), "boom") {
		t.Errorf("crash.log = %q (%v), want the component's output", log, readErr)
	}
	pids := c.PIDs()
	if stopErr := c.Stop(); stopErr == nil {
		t.Error("Stop after a crash returned nil, want the crash")
	}
	if !groupGone(pids["etcd"]) {
		t.Error("the surviving component is still running after Stop")
	}
}

func TestStopKillsChildrenAndStubbornProcesses(t *testing.T) {
	c := scriptPlane(t, map[string]string{
		// A child in the background, and a parent that ignores SIGTERM: both must be gone after Stop.
		"stubborn": "trap '' TERM; sleep 60 & while true; do sleep 1; done",
	})
	pid := c.PIDs()["stubborn"]
	// Give the shell time to install its trap and fork, so Stop meets the case it must handle.
	time.Sleep(200 * time.Millisecond)
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if !groupGone(pid) {
		t.Error("a process of the group survived Stop")
	}
	if err := c.Wait(); err != nil {
		t.Errorf("Wait after Stop = %v, want nil", err)
	}
}

func TestCancellingTheContextStopsEverything(t *testing.T) {
	c := scriptPlane(t, map[string]string{"etcd": "sleep 60"})
	ctx, cancel := context.WithCancel(context.Background())
	go c.stopWhenDone(ctx)
	cancel()
	if err := c.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil after cancellation", err)
	}
	if !groupGone(c.PIDs()["etcd"]) {
		t.Error("etcd is still running after its context ended")
	}
}

func TestStartFailsCleanlyWhenAComponentDies(t *testing.T) {
	bin := t.TempDir()
	// Each fake component records its pid so the test can prove it is gone; etcd dies at once.
	for _, name := range binaries() {
		body := `echo $$ > "$(dirname "$0")/` + name + `.pid"; sleep 60`
		if name == "etcd" {
			body = `echo $$ > "$(dirname "$0")/etcd.pid"; echo "no space left"; exit 1`
		}
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Start(t.Context(), Options{StateDir: t.TempDir(), BinDir: bin, StopGrace: time.Second})
	if err == nil || !strings.Contains(err.Error(), "etcd exited unexpectedly") {
		t.Fatalf("Start = %v, want an error naming etcd", err)
	}
	pidFiles, _ := filepath.Glob(filepath.Join(bin, "*.pid"))
	if len(pidFiles) == 0 {
		t.Fatal("no fake component ran")
	}
	for _, f := range pidFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !groupGone(pid) {
			t.Errorf("%s is still running after a failed Start", filepath.Base(f))
		}
	}
}

func TestStartNamesAMissingBinary(t *testing.T) {
	_, err := Start(t.Context(), Options{StateDir: t.TempDir(), BinDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "etcd not found") {
		t.Fatalf("Start = %v, want an error naming the missing etcd", err)
	}
}
