package operator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/stevedore-dev/stevedore/pkg/version"
)

// Exit codes returned by Run.
const (
	// ExitOK means the controller stopped cleanly, or printed the help or version it was asked for.
	ExitOK = 0
	// ExitFailure means the controller could not start or stopped with an error.
	ExitFailure = 1
	// ExitUsage means the flags or environment were invalid; nothing was started.
	ExitUsage = 2
)

// Run is the whole controller process short of signal handling and exiting: it reads options from args (without
// the program name) and getenv, sets up logging, connects to the cluster and runs the manager until ctx is
// cancelled. Help and version go to stdout; usage errors and logs go to stderr. It returns the exit code.
//
// The kubeconfig is found the usual way: $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := ParseOptions(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, ErrVersion) {
		return ExitOK
	}
	if err == nil {
		err = opts.Validate()
	}
	if err != nil {
		// Joined errors come one per line; indent the rest under the first.
		fmt.Fprintf(stderr, "error: %s\nrun with --help for usage\n", strings.ReplaceAll(err.Error(), "\n", "\n       "))
		return ExitUsage
	}

	log := newLogger(opts.LogLevel, stderr)
	// controller-runtime and client-go log through their own package-level loggers; point both at ours.
	ctrl.SetLogger(log)
	klog.SetLogger(log)
	log.Info("starting", "version", version.Version, "commit", version.Commit, "build-date", version.BuildDate,
		"cluster", opts.ClusterName)

	cfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "loading kubeconfig")
		return ExitFailure
	}
	mgr, err := NewManager(ctx, cfg, opts)
	if err != nil {
		log.Error(err, "setting up")
		return ExitFailure
	}
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "running manager")
		return ExitFailure
	}
	log.Info("stopped")
	return ExitOK
}

// newLogger returns a JSON logger writing to w that drops entries below level, one of the LogLevel constants.
// logr's V(1) is zap's debug level, so only "debug" shows V(1) entries.
func newLogger(level string, w io.Writer) logr.Logger {
	zapLevel := map[string]zapcore.Level{
		LogLevelDebug: zapcore.DebugLevel,
		LogLevelInfo:  zapcore.InfoLevel,
		LogLevelWarn:  zapcore.WarnLevel,
		LogLevelError: zapcore.ErrorLevel,
	}[level]
	return zap.New(zap.WriteTo(w), zap.Level(zapLevel))
}
