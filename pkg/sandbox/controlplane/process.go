package controlplane

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/utils/clock"
)

// process is one running component. Each runs in its own process group so that stopping it also stops any
// children it forked, and its output is appended to a log file that survives restarts.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	// done is closed once the process has exited and err holds how it ended.
	done chan struct{}
	err  error

	mu       sync.Mutex
	stopping bool
}

// startProcess runs bin with args, sending its output to logDir/<name>.log.
func startProcess(name, bin string, args []string, logDir string) (*process, error) {
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", logDir, err)
	}
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", logPath, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

// pid is the process's id, which is also its process group's id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exitError describes an exit nobody asked for, naming the component and where its log is.
func (p *process) exitError() error {
	err := p.err
	if err == nil {
		err = errors.New("exited with status 0")
	}
	return fmt.Errorf("%s exited unexpectedly (see %s): %w", p.name, p.log.Name(), err)
}

// expected reports whether the process was told to stop, so its exit is not a failure.
func (p *process) expected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// stop sends SIGTERM to the process group, then SIGKILL after grace, and returns once the process has been
// reaped. Children that ignore SIGTERM are killed with the group.
func (p *process) stop(clk clock.Clock, grace time.Duration) {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	select {
	case <-p.done:
		// The leader is gone but a child may still hold the group.
	default:
		_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
		select {
		case <-p.done:
		case <-clk.After(grace):
			_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
			<-p.done
		}
	}
	// Sweep any child left in the group after its leader exited, and wait until the kernel has removed them,
	// so their ports are free when Stop returns. Orphans are reaped by init, which may take a moment.
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	deadline := clk.After(grace)
	for !groupGone(p.pid()) {
		select {
		case <-deadline:
			return
		case <-clk.After(10 * time.Millisecond):
		}
	}
}

// groupGone reports whether no live process is left in the process group pgid. Zombies count as gone: they
// hold no ports or files, and where init is slow to reap orphans they linger long after they died.
func groupGone(pgid int) bool {
	if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		return true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		// Without /proc (macOS) the kernel's answer above is all there is.
		return false
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited while we looked
		}
		if state, group, ok := parseStat(string(stat)); ok && group == pgid && state != "Z" {
			return false
		}
	}
	return true
}

// parseStat reads the state and process group from a /proc/<pid>/stat line: "pid (comm) state ppid pgrp ...".
// The command name may hold spaces and parentheses, so fields are counted from the last ')'.
func parseStat(stat string) (state string, pgrp int, ok bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return "", 0, false
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 3 {
		return "", 0, false
	}
	pgrp, err := strconv.Atoi(fields[2])
	return fields[0], pgrp, err == nil
}
