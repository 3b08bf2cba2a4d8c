package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
	"github.com/stevedore-dev/stevedore/pkg/sandbox"
	"github.com/stevedore-dev/stevedore/pkg/sandbox/controlplane"
	"github.com/stevedore-dev/stevedore/pkg/scheme"
)

// Options configures a suite's sandbox.
type Options struct {
	// BootDelay is how long a simulated instance boots; one second when zero.
	BootDelay time.Duration
	// ControllerArgs are flags added to the controller's, after the harness's short batching windows.
	ControllerArgs []string
	// ExternalController runs the controller as a process built from ./cmd/controller, which tests can kill and
	// restart, instead of in the test binary.
	ExternalController bool
}

// startTimeout bounds the sandbox's start-up, which on a loaded two-core machine takes well under a minute.
const startTimeout = 3 * time.Minute

// Sandbox is a running sandbox as a test sees it.
type Sandbox struct {
	// Info is what the sandbox reported when it became ready.
	Info sandbox.Info
	// StateDir holds the control plane's state and every component's log under logs/.
	StateDir string
	// Client reaches the API server as the admin, with Stevedore's types registered.
	Client client.WithWatch
	// EC2 is an AWS SDK client on the simulator, as a user's AWS CLI would be.
	EC2 *ec2.Client

	controllerBin string
	mu            sync.Mutex
	controller    *Controller
}

// Main runs the package's tests against one sandbox and returns the exit code: TestMain calls
// os.Exit(harness.Main(m, opts, &sb)). Without the control plane's binaries it prints why and returns 0, since
// `make test` builds them and only a bare `go test` lacks them.
func Main(m *testing.M, opts Options, sb **Sandbox) int {
	if _, err := controlplane.FindBinDir(); err != nil {
		fmt.Fprintf(os.Stderr, "skipping the end-to-end suite: %v\n", err)
		return 0
	}
	dir, err := os.MkdirTemp("", "stevedore-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := 1
	defer func() {
		// A failed suite keeps its logs for the person reading the failure.
		if code == 0 {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintf(os.Stderr, "kept the sandbox's logs in %s\n", filepath.Join(dir, "state", "logs"))
		}
	}()
	s := &Sandbox{StateDir: filepath.Join(dir, "state")}
	if opts.ExternalController {
		// No controller in this process sets controller-runtime's logger; the clients' own logs are not wanted.
		ctrllog.SetLogger(logr.Discard())
		if s.controllerBin, err = buildController(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if opts.BootDelay == 0 {
		opts.BootDelay = time.Second
	}
	if err := os.MkdirAll(filepath.Join(s.StateDir, "logs"), 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	summary, err := os.Create(filepath.Join(s.StateDir, "logs", "summary.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer summary.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan sandbox.Info, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- sandbox.Run(ctx, sandbox.Options{
			StateDir: s.StateDir, BootDelay: opts.BootDelay, Out: summary, SummaryInterval: 2 * time.Second,
			// Short batching windows, so that a suite spends its time on what it tests.
			ControllerArgs:     append([]string{"--batch-idle-duration=500ms", "--batch-max-duration=3s"}, opts.ControllerArgs...),
			ExternalController: opts.ExternalController,
			Ready:              func(i sandbox.Info) { ready <- i },
		})
	}()
	select {
	case s.Info = <-ready:
	case err := <-ran:
		fmt.Fprintf(os.Stderr, "starting the sandbox: %v\n", err)
		return 1
	case <-time.After(startTimeout):
		fmt.Fprintf(os.Stderr, "the sandbox did not start in %s\n", startTimeout)
		cancel()
		if err := <-ran; err != nil {
			fmt.Fprintf(os.Stderr, "stopping the sandbox: %v\n", err)
		}
		return 1
	}
	if err := s.connect(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		fmt.Fprintf(os.Stderr, "sandbox ready in %s; logs in %s\n", s.Info.StartupDuration.Round(time.Millisecond),
			filepath.Join(s.StateDir, "logs"))
		*sb = s
		code = m.Run()
	}
	if err := s.stopController(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	cancel()
	if err := <-ran; err != nil {
		fmt.Fprintf(os.Stderr, "stopping the sandbox: %v\n", err)
		code = 1
	}
	// A suite that leaves processes behind would slow every later one on a shared machine.
	for name, pid := range s.Info.PIDs {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			fmt.Fprintf(os.Stderr, "%s (process group %d) outlived the sandbox: %v\n", name, pid, err)
			code = 1
		}
	}
	return code
}

// connect builds the clients and, for an external controller, starts it and waits until it has resolved the
// default node class, which is when the sandbox can launch nodes.
func (s *Sandbox) connect(ctx context.Context) error {
	sch, err := scheme.New()
	if err != nil {
		return err
	}
	if s.Client, err = client.NewWithWatch(s.Info.Config, client.Options{Scheme: sch}); err != nil {
		return fmt.Errorf("connecting to the sandbox: %w", err)
	}
	cfg, err := awssim.ClientConfig(ctx, s.Info.AWSEndpoint, sandbox.DefaultRegion, 3)
	if err != nil {
		return fmt.Errorf("configuring the AWS SDK: %w", err)
	}
	s.EC2 = ec2.NewFromConfig(cfg)
	if s.controllerBin == "" {
		return nil
	}
	if _, err := s.StartController(); err != nil {
		return err
	}
	return s.waitNodeClassReady(ctx, 2*time.Minute)
}
