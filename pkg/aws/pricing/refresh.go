package pricing

import "time"

const (
	// DefaultOnDemandRefresh is how often OnDemand re-reads the Price List API. On-demand prices change a few
	// times a year; the full Linux list of a region is a few dozen pages.
	DefaultOnDemandRefresh = 12 * time.Hour
	// DefaultSpotRefresh is how often Spot re-reads the spot price history. Spot prices move gradually, at most
	// a few times an hour per pool.
	DefaultSpotRefresh = 5 * time.Minute
)
