package instancetype

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// DefaultRefreshInterval is how often instance types and their zonal offerings are re-read from EC2. Both change
// when AWS launches a type or a zone, which is rare; twice a day keeps the DescribeInstanceTypes calls (about 15
// pages per region) negligible.
const DefaultRefreshInterval = 12 * time.Hour

// retryAfterFailure bounds how long a source waits after a failed refresh, so one throttled call does not leave
// the fallback data in place for a whole interval.
const retryAfterFailure = time.Minute

// runEvery calls refresh at once and then every interval until ctx ends, sooner after a failure. Failures are
// logged here, once each, and not returned: the caller keeps serving its last good data.
func runEvery(ctx context.Context, clk clock.Clock, interval time.Duration, log logr.Logger, refresh func(context.Context) error) error {
	for {
		wait := interval
		if err := refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Error(err, "refreshing from EC2; keeping the data already loaded")
			wait = min(interval, retryAfterFailure)
		}
		timer := clk.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C():
		}
	}
}
