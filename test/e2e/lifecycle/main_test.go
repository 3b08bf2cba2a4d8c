package lifecycle_test

import (
	"os"
	"testing"
	"time"

	"github.com/stevedore-dev/stevedore/test/e2e/internal/harness"
)

// sb is the package's one sandbox, started by TestMain.
var sb *harness.Sandbox

// The controller's timings, short so that expiry and collection happen within a test.
const (
	registrationTTL = 20 * time.Second
	gcInterval      = 5 * time.Second
	gcGracePeriod   = 10 * time.Second
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.Options{
		BootDelay:          time.Second,
		ExternalController: true,
		ControllerArgs: []string{
			"--registration-ttl=" + registrationTTL.String(),
			"--garbage-collection-interval=" + gcInterval.String(),
			"--garbage-collection-grace-period=" + gcGracePeriod.String(),
		},
	}, &sb))
}
