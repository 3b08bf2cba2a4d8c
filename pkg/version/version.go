package version

import (
	"fmt"
	"runtime"
)

// The build stamps these with the linker, for example:
//
//	go build -ldflags "-X github.com/stevedore-dev/stevedore/pkg/version.Version=v0.1.0 \
//	  -X github.com/stevedore-dev/stevedore/pkg/version.Commit=$(git rev-parse HEAD) \
//	  -X github.com/stevedore-dev/stevedore/pkg/version.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
//
// They are variables only because -X can set nothing else; nothing in the program assigns them.
var (
	// Version is the release version, such as v0.1.0; "dev" for an unstamped build.
	Version = "dev"
	// Commit is the Git commit the binary was built from; "unknown" for an unstamped build.
	Commit = "unknown"
	// BuildDate is when the binary was built, in RFC 3339 form; "unknown" for an unstamped build.
	BuildDate = "unknown"
)

// String describes the build on one line: version, commit, build date, Go version and platform.
func String() string {
	return fmt.Sprintf("%s (commit %s, built %s, %s %s/%s)",
		Version, Commit, BuildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
