package controlplane

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// binaries names the executables the control plane runs, each looked up in Options.BinDir.
func binaries() []string {
	return []string{"etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager", "kwok"}
}

// FindBinDir returns the directory holding the control plane's binaries: $KUBEBUILDER_ASSETS when set, else
// the bin/ directory at the root of the Go module holding the working directory, where `make tools` builds
// them. It fails, naming the binary, when one is missing, so a fresh checkout gets a useful hint.
func FindBinDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "bin")
	}
	if err := checkBinaries(dir); err != nil {
		return "", err
	}
	return dir, nil
}

func checkBinaries(dir string) error {
	for _, b := range binaries() {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return fmt.Errorf("%s not found in %s: run `make tools` to build the pinned control plane", b, dir)
		}
	}
	return nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set KUBEBUILDER_ASSETS to the directory holding the control plane binaries")
		}
		dir = parent
	}
}
