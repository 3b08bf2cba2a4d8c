package refresh

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// RetryAfterFailure bounds how long a source waits after a failed refresh, so one throttled call does not leave
// fallback or stale data in place for a whole interval.
const RetryAfterFailure = time.Minute

// Every calls refresh at once and then every interval until ctx ends, at most RetryAfterFailure after a failure.
// Failures are logged with message and not returned; it returns nil when ctx ends, so it can be a
// controller-runtime Runnable.
func Every(ctx context.Context, clk clock.Clock, interval time.Duration, log logr.Logger, message string, refresh func(context.Context) error) error {
	for {
		wait := interval
		if err := refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Error(err, message)
			wait = min(interval, RetryAfterFailure)
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
