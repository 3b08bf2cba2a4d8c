// Package awssim is a wire-compatible simulator of the slices of Amazon EC2, SSM, the Price List API and IAM
// that Stevedore uses, so that the real aws-sdk-go-v2 clients, with their own serialisation, can be tested and
// demonstrated without an AWS account. All four services share one endpoint, so every client gets the same
// BaseEndpoint (see ClientConfig). A Server accepts any credentials: it never verifies SigV4 signatures. It
// tells the protocols apart as the SDK sends them: a request with an X-Amz-Target header is JSON 1.1 (SSM and
// the Price List API, answered with application/x-amz-json-1.1 bodies and errors as {"__type", "message"});
// any other is a query request (form-encoded POST) whose Action names an EC2 or an IAM action, answered with
// XML in the service's own shapes.
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
// and then the fleet's. A ClientToken makes a retried CreateFleet answer as the first call did, launching nothing
// more; the same token with a different request fails with IdempotentParameterMismatch.
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
// Nth request, whatever its service, fail with the service's throttling error, which the SDK's standard retryer
// retries: RequestLimitExceeded (HTTP 503) for EC2, ThrottlingException for SSM and the Price List API, and
// Throttling for IAM (HTTP 400).
//
// Options.Latency or Server.SetLatency delay every request to a simulated service, but not admin requests,
// before it is answered (or until the client gives up). Options.Unjoinable or Server.SetUnjoinable make the next N launched
// instances, of one instance type or of any, unjoinable: they run in EC2 but never fire
// Hooks.InstanceRunning, as an instance whose kubelet never registers a Node. The admin API sets both:
//
//	POST /admin/latency      AdminLatency {"latency": "250ms"}, as Server.SetLatency; "0s" removes it
//	POST /admin/unjoinable   Unjoinable {"instanceType", "count"}, as Server.SetUnjoinable; no type means any
//
// and AdminState reports the latency, the unjoinable counts left and which instances are unjoinable.
//
// # RunInstances
//
// RunInstances launches between MinCount and MaxCount instances of one type into one subnet (SubnetId, else
// the subnet of Placement.AvailabilityZone, else the first zone's), from a launch template named by ID or name
// and version when given, on demand unless InstanceMarketOptions asks for spot. It shares CreateFleet's
// launching, so capacity limits, templates, tags and faults apply alike; when the pool or the subnet has room
// for fewer than MinCount it launches nothing and fails with InsufficientInstanceCapacity (HTTP 500) or
// InsufficientFreeAddressesInSubnet. A ClientToken makes a retry answer with the first call's reservation
// instead of launching again, and a different request with the same token fails with
// IdempotentParameterMismatch.
//
// # Lifecycle hooks
//
// Options.Hooks is told, once per instance and transition and in the order they happened, when an instance
// reaches running (InstanceRunning) and when it reaches terminated (InstanceTerminated); an instance terminated
// while still pending only reports its termination. Hooks are called from one goroutine, never with the
// server's lock held, so a slow hook delays later hooks but not requests. Transitions are found whenever state
// is settled: at every request, by Server.Settle, and every Options.SettleInterval (250ms by default) while
// Server.Run runs, so an instance booting with no requests arriving still reaches running and fires its hook.
// Times always come from Options.Clock. The Instance a hook receives carries the decoded user data of the launch
// template it was launched from, so a hook can register the Node its bootstrap configuration describes (the
// sandbox does, with pkg/sandbox/kubelet).
//
// HTTPHook is a Hooks that posts each transition to a URL as JSON,
//
//	{"event": "running" | "terminated", "instance": {"id", "instanceType", "zone", "subnetId", "privateIp",
//	 "privateDnsName", "imageId", "capacityType", "launchTime", "tags", "userData"}}
//
// retrying a failed post a few times with doubling backoff before logging and dropping it; `stevedore awssim
// --hook-url` uses it.
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
// # SSM parameters
//
// GetParameter and GetParameters (at most 10 names; unknown ones come back in InvalidParameters) read the
// public parameters AWS publishes for the simulated images of the region, for every Kubernetes
// release above (<k8s>), with <arch> x86_64 or arm64:
//
//	/aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/<arch>/<standard|nvidia>/recommended/image_id
//	/aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/<arch>/<standard|nvidia>/<image name>/image_id
//	/aws/service/bottlerocket/aws-k8s-<k8s>/<arch>/latest/image_id
//	/aws/service/bottlerocket/aws-k8s-<k8s>/<arch>/<Bottlerocket version, e.g. 1.46.0>/image_id
//
// recommended and latest point at the newest image of their kind, the others at the image they name. Every
// parameter is a String; the public ones have the data type aws:ec2:image, version 1 and the image's creation
// time. Server.SetParameter (or POST /admin/parameter) adds a parameter or overwrites one, raising its version,
// for example one that an AMI selector term names. Version and label selectors (name:3) are not supported.
//
// # Price List
//
// GetProducts answers for the service code AmazonEC2 only (any other is NotFoundException), in the aws_v1
// format, with one product per instance type and region the catalog has an on-demand price for, in every
// region it has prices for, since the real Price List API is global. Only Linux, shared-tenancy,
// no-pre-installed-software, used-capacity rows exist. Each PriceList entry is a JSON document in a string,
// shaped as AWS's: product (productFamily "Compute Instance", attributes such as instanceType, regionCode,
// location, vcpu and memory, and a SKU that is a hash of the region and type), serviceCode, and terms.OnDemand
// with one hourly price dimension whose pricePerUnit is in the region's currency (USD, or CNY in China).
// Filters are exact matches on a field (TERM_MATCH or EQUALS; CONTAINS, ANY_OF and NONE_OF work too): the field
// is an attribute name, ServiceCode or productFamily, and a field a product lacks matches nothing. Any other
// filter type is InvalidParameterException. Pages hold MaxResults products (1 to 100, 100 by default), and a
// NextToken is only good for the filters it came from.
//
// # IAM
//
// CreateInstanceProfile (with tags), GetInstanceProfile, TagInstanceProfile, AddRoleToInstanceProfile,
// RemoveRoleFromInstanceProfile, DeleteInstanceProfile and ListInstanceProfiles manage instance profiles in the
// IAM account 123456789012, with IAM's errors: NoSuchEntity (404) for an unknown profile or role,
// EntityAlreadyExists (409), LimitExceeded (409) for a second role in a profile, DeleteConflict (409) for
// deleting a profile that still has its role. A role must exist to be added: the role
// StevedoreNodeRole-<ClusterName> does from the start, and Server.CreateRole (or POST /admin/role) creates more.
//
// # Admin API
//
// The same server answers a small JSON API under /admin/, to inspect and steer a running simulator, for
// example one started by `stevedore awssim`, with curl. Admin requests are never throttled.
//
//	GET  /admin/state      AdminState: instances, counts by state, capacity limits, throttling, launch templates
//	POST /admin/capacity   AdminCapacity {"instanceType", "zone", "capacityType", "count"}, as Server.SetCapacity
//	POST /admin/throttle   AdminThrottle {"everyNth"}, as Server.SetThrottle
//	POST /admin/parameter  AdminParameter {"name", "value"}, as Server.SetParameter
//	POST /admin/role       AdminRole {"name"}, as Server.CreateRole
//
// The POST endpoints answer with the new AdminState, except /admin/parameter and /admin/role, which answer
// with the parameter (and its new version) or the role (and its ARN); a bad body is a 400 with
// {"error": "..."}.
//
// The package must not import Stevedore's controllers or cloud provider: it stands in for AWS, and only knows
// what AWS would (the instance-type catalog).
package awssim
