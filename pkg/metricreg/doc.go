// Package metricreg registers the controllers' Prometheus collectors so that controllers built more than once in a
// process (tests, a restarted manager) share one set of series instead of failing on duplicate registration, and
// collects registration errors for the constructor to return. It imports nothing of Stevedore's.
package metricreg
