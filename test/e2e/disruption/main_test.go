package disruption_test

import (
	"os"
	"testing"
	"time"

	"github.com/stevedore-dev/stevedore/test/e2e/internal/harness"
)

// sb is the package's one sandbox, started by TestMain, with the controller in-process.
var sb *harness.Sandbox

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.Options{BootDelay: time.Second}, &sb))
}
