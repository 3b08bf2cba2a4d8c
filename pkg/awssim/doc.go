// Package awssim is a wire-compatible simulator of the slice of Amazon EC2 that Stevedore uses, so that the
// real aws-sdk-go-v2 clients, with their own serialisation, can be tested and demonstrated without an AWS
// account. A Server speaks the EC2 query protocol (form-encoded POST requests, XML responses and errors in the
// shapes the SDK's deserialisers read) and accepts any credentials: it never verifies SigV4 signatures.
//
// The world it simulates is one region with a few zones, a VPC with one subnet per zone and one security group,
// all tagged stevedore.dev/discovery=<cluster>, and every instance type of the embedded catalog
// (pkg/aws/instancetype/catalog) offered in every zone. CreateFleet (instant fleets only) launches instances,
// which move from pending to running after Options.BootDelay and from shutting-down to terminated after
// Options.ShutdownDelay. States are evaluated lazily against Options.Clock whenever a request arrives, so tests
// drive time with an injected clock instead of sleeping. Terminated instances stay visible for
// Options.TerminatedRetention.
//
// # Faults
//
// Capacity is unlimited unless limited with Options.Capacity or Server.SetCapacity: a limit is the number of
// further instances of one (instance type, zone, capacity type) pool that may be launched, and a fleet asking
// for more gets an InsufficientInstanceCapacity error entry for that pool and falls back to its next override.
// Terminating instances does not give capacity back. Options.ThrottleEveryNth or Server.SetThrottle make every
// Nth request fail with RequestLimitExceeded (HTTP 503), which the SDK's standard retryer retries.
//
// # Spot prices
//
// Spot prices are a pure function of (instance type, zone, seed, time), so a run can be replayed:
//
//	discount = 0.55 + 0.25*u(family, zone, seed)                     // 55% to 80% off on demand
//	drift    = 1 + 0.03*sin(2π*t/6h + 2π*v(family, zone, seed))      // ±3% over a six-hour period
//	spot     = max(onDemand*(1-discount)*drift, 0.10*onDemand)
//
// where u and v are independent numbers in [0, 1) taken from an FNV-1a hash of the instance family, the zone
// and Options.Seed, and t is Unix time. Every size of a family gets the same discount in a zone, as on AWS,
// where spot prices roughly follow the family's on-demand price. Types without an on-demand price in the
// region have no spot price either.
//
// The package must not import Stevedore's controllers or cloud provider: it stands in for AWS, and only knows
// what AWS would (the instance-type catalog).
package awssim
