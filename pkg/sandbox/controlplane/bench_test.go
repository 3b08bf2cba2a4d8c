package controlplane

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStart measures a cold start on an empty state directory until the API is ready and the controller
// manager reconciles, then a stop; s-to-ready is the mean start-up time alone.
func BenchmarkStart(b *testing.B) {
	var total time.Duration
	n := 0
	for b.Loop() {
		c, err := Start(context.Background(), Options{StateDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		total += c.StartupDuration
		n++
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(total.Seconds()/float64(n), "s-to-ready")
}
