package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// shared is the one sandbox of the package's tests, started by TestMain.
var shared struct {
	info Info
	out  *syncBuffer
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sandbox-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shared.out = &syncBuffer{}
	ready := make(chan Info, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- Run(ctx, Options{
			StateDir: dir, BootDelay: time.Second, SummaryInterval: time.Second, Out: shared.out,
			Ready: func(i Info) { ready <- i },
		})
	}()
	select {
	case shared.info = <-ready:
	case err := <-ran:
		fmt.Fprintf(os.Stderr, "starting the sandbox: %v\n", err)
		return 1
	case <-time.After(3 * time.Minute):
		fmt.Fprintln(os.Stderr, "the sandbox did not start in 3 minutes")
		cancel()
		if err := <-ran; err != nil {
			fmt.Fprintf(os.Stderr, "stopping the sandbox: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(os.Stderr, "sandbox ready in %s\n", shared.info.StartupDuration.Round(time.Millisecond))
	code := m.Run()

	cancel()
	if err := <-ran; err != nil {
		fmt.Fprintf(os.Stderr, "stopping the sandbox: %v\n", err)
		code = 1
	}
	// Stopping leaves no process behind: every component's process group is gone.
	for name, pid := range shared.info.PIDs {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			fmt.Fprintf(os.Stderr, "%s (process group %d) outlived the sandbox: %v\n", name, pid, err)
			code = 1
		}
	}
	return code
}

// syncBuffer is a bytes.Buffer that the sandbox writes to while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
