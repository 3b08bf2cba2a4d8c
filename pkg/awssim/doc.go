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
// Launch templates (CreateLaunchTemplate, DescribeLaunchTemplates, DeleteLaunchTemplate) keep a single version
// and only the parts of their data that a fleet uses: the image, the instance type and the instance tags.
// CreateFleet resolves each config's template by ID or name, launches its image unless an override names one,
// takes its instance type for overrides without one, and tags instances with the template's instance tags
// and then the fleet's.
//
// DescribeImages knows a fixed set of public images per region: for each Kubernetes release from 1.33 to 1.37,
// the EKS-optimized Amazon Linux 2023 standard and nvidia images and a Bottlerocket image, each for x86_64 and
// arm64, owned by the amazon alias. Their IDs are a hash of the region and the image name and their creation
// dates are fixed, so every run sees the same images; each is deprecated a year after its creation and, as
// on EC2, left out unless asked for by ID or with IncludeDeprecated. Instances launched with no image run
// the newest Amazon Linux 2023 standard image of their architecture.
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
// DescribeSpotPriceHistory samples the model at every whole hour; a sample is in effect until the next one. It
// lists the samples between StartTime and EndTime (both now when absent, and at most 90 days back), newest
// first, starting with the sample in effect at StartTime, for the Linux/UNIX product descriptions only.
//
// # Admin API
//
// The same server answers a small JSON API under /admin/, to inspect and steer a running simulator, for
// example one started by `stevedore awssim`, with curl. Admin requests are never throttled.
//
//	GET  /admin/state      AdminState: instances, counts by state, capacity limits, throttling, launch templates
//	POST /admin/capacity   AdminCapacity {"instanceType", "zone", "capacityType", "count"}, as Server.SetCapacity
//	POST /admin/throttle   AdminThrottle {"everyNth"}, as Server.SetThrottle
//
// The POST endpoints answer with the new AdminState; a bad body is a 400 with {"error": "..."}.
//
// The package must not import Stevedore's controllers or cloud provider: it stands in for AWS, and only knows
// what AWS would (the instance-type catalog).
package awssim
