package operator

import (
	"os"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

// TestEnv is the package's API server, shared by its internal and external tests.
var TestEnv *test.Environment

func TestMain(m *testing.M) { os.Exit(test.Run(m, &TestEnv)) }
