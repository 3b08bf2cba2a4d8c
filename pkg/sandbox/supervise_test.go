package sandbox

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A component that dies brings the others down, and the error names it.
func TestSupervisorStopsTheRestWhenOneDies(t *testing.T) {
	sup := newSupervisor(t.Context())
	otherStopped := make(chan struct{})
	sup.start("kubelet", func(ctx context.Context) error {
		<-ctx.Done()
		close(otherStopped)
		return nil
	})
	sup.start("controller", func(context.Context) error { return errors.New("exited with code 1") })
	<-sup.ctx.Done()
	err := sup.stop()
	if err == nil || !strings.Contains(err.Error(), "controller: exited with code 1") {
		t.Errorf("stop() = %v; want the controller's failure", err)
	}
	select {
	case <-otherStopped:
	default:
		t.Error("the kubelet still runs after stop returned")
	}
}

func TestSupervisorComponentReturningEarlyHasDied(t *testing.T) {
	sup := newSupervisor(t.Context())
	sup.start("AWS simulator", func(context.Context) error { return nil })
	<-sup.ctx.Done()
	if err := sup.stop(); err == nil || !strings.Contains(err.Error(), "AWS simulator: exited unexpectedly") {
		t.Errorf("stop() = %v; want the simulator named as having exited", err)
	}
}

func TestSupervisorCleanStop(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	sup := newSupervisor(ctx)
	for _, name := range []string{"kubelet", "controller"} {
		sup.start(name, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err() // errors while shutting down are not failures
		})
	}
	cancel()
	if err := sup.stop(); err != nil {
		t.Errorf("stop() after cancellation = %v; want nil", err)
	}
}

func TestRunWithoutBinariesNamesTheControlPlane(t *testing.T) {
	err := Run(t.Context(), Options{StateDir: t.TempDir(), BinDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "starting the control plane") {
		t.Errorf("Run with an empty binary directory = %v; want an error starting the control plane", err)
	}
}

func TestRunRequiresStateDir(t *testing.T) {
	if err := Run(t.Context(), Options{}); err == nil || !strings.Contains(err.Error(), "StateDir") {
		t.Errorf("Run without a state directory = %v; want an error naming StateDir", err)
	}
}
