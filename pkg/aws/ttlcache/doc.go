// Package ttlcache is a small generic cache of successful lookups that expire after a fixed time on an injected
// clock, used by the resolvers of EC2NodeClass selectors (network, ami) so that a burst of launches and
// reconciles costs one AWS call. Failures are never stored, so the next caller retries. It imports nothing of
// Stevedore's.
package ttlcache
