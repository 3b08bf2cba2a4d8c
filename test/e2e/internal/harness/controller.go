package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
)

// Controller is one run of the controller as a separate process.
type Controller struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// buildController builds ./cmd/controller of the module under test into dir, once per suite.
func buildController(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("finding the module root: not inside a Go module")
	}
	bin := filepath.Join(dir, "stevedore-controller")
	build := exec.Command("go", "build", "-o", bin, "./cmd/controller")
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the controller: %w\n%s", err, out)
	}
	return bin, nil
}

// StartController starts the controller process with the sandbox's flags and environment (the suite's flags
// included) and extra, appending its output to logs/controller.log. It becomes the controller that Controller
// returns and that the suite stops at the end.
func (s *Sandbox) StartController(extra ...string) (*Controller, error) {
	if s.controllerBin == "" {
		return nil, errors.New("starting the controller: this suite runs it in process")
	}
	logFile, err := os.OpenFile(s.ControllerLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the controller's log: %w", err)
	}
	// The sandbox's flags already end with the suite's.
	args := append(append([]string{}, s.Info.ControllerArgs...), extra...)
	cmd := exec.Command(s.controllerBin, args...)
	cmd.Env = append(os.Environ(), s.Info.ControllerEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so that a Ctrl-C meant for `go test` reaches the suite, which stops it in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting the controller: %w", err)
	}
	c := &Controller{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	s.mu.Lock()
	s.controller = c
	s.mu.Unlock()
	return c, nil
}

// Controller is the controller process started last.
func (s *Sandbox) Controller() *Controller {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.controller
}

// Kill sends SIGKILL, as the kernel's OOM killer or a node failure would, and waits for the process to be gone.
func (c *Controller) Kill() error {
	select {
	case <-c.done:
		return fmt.Errorf("killing the controller: it had already exited: %w", c.err)
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing the controller: %w", err)
	}
	<-c.done
	return nil
}

// Exited reports whether the process has ended, and how.
func (c *Controller) Exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// stopController ends the last controller with SIGTERM, as Kubernetes would, and SIGKILL after a grace period.
func (s *Sandbox) stopController() error {
	c := s.Controller()
	if c == nil {
		return nil
	}
	if done, _ := c.Exited(); done {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
		return errors.New("the controller did not stop within 30s of SIGTERM; killed it")
	}
}

// ControllerLog is the path of the controller's log.
func (s *Sandbox) ControllerLog() string { return filepath.Join(s.StateDir, "logs", "controller.log") }

// waitNodeClassReady waits until the controller reports the default EC2NodeClass Ready.
func (s *Sandbox) waitNodeClassReady(ctx context.Context, timeout time.Duration) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		nc := &awsv1.EC2NodeClass{}
		if err := s.Client.Get(ctx, client.ObjectKey{Name: sandbox.DefaultName}, nc); err != nil {
			return false, nil //nolint:nilerr // the API may be briefly unavailable; the timeout reports it
		}
		return meta.IsStatusConditionTrue(nc.Status.Conditions, conditions.Ready), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for EC2NodeClass %s to be ready: %w; see %s", sandbox.DefaultName, err, s.ControllerLog())
	}
	return nil
}
