package pricing

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

const (
	// DefaultOnDemandRefresh is how often OnDemand re-reads the Price List API. On-demand prices change a few
	// times a year; the full Linux list of a region is a few dozen pages.
	DefaultOnDemandRefresh = 12 * time.Hour
	// DefaultSpotRefresh is how often Spot re-reads the spot price history. Spot prices move gradually, at most
	// a few times an hour per pool.
	DefaultSpotRefresh = 5 * time.Minute
	// retryAfterFailure bounds the wait after a failed refresh, so one throttled call does not leave stale or
	// fallback prices in place for a whole interval.
	retryAfterFailure = time.Minute
)

// runEvery calls refresh at once and then every interval until ctx ends, sooner after a failure. Failures are
// logged here and not returned: the caller keeps serving its last good prices.
func runEvery(ctx context.Context, clk clock.Clock, interval time.Duration, log logr.Logger, refresh func(context.Context) error) error {
	for {
		wait := interval
		if err := refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Error(err, "refreshing prices; keeping the prices already loaded")
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
