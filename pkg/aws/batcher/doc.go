// Package batcher merges concurrent compatible requests into one call: requests with the same key that
// arrive while a batch is open (until it has been idle for a short window, or open for a longer one) are
// executed together, and each caller gets its own result. Stevedore uses it so that a burst of NodeClaims
// becomes one CreateFleet call with a target capacity of N, and describes and terminations go in bulk.
package batcher
