package operator

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/stevedore-dev/stevedore/pkg/version"
)

// Name is the controller binary's name as it appears in usage text.
const Name = "controller"

// LeaderElectionID names the Lease that controller replicas compete for; only the holder acts.
const LeaderElectionID = "stevedore-leader-election"

// Log levels accepted by --log-level, from the most to the least verbose.
const (
	LogLevelDebug = "debug"
	LogLevelInfo  = "info"
	LogLevelWarn  = "warn"
	LogLevelError = "error"
)

// logLevels lists the accepted log levels in the order usage and errors show them.
var logLevels = []string{LogLevelDebug, LogLevelInfo, LogLevelWarn, LogLevelError}

// ErrVersion is returned by ParseOptions when --version was given; the version has already been written out.
var ErrVersion = errors.New("version requested")

// description opens the --help text.
const description = `The Stevedore controller runs inside a Kubernetes cluster on AWS. It watches for pods that
the scheduler cannot place, packs them onto the cheapest EC2 instance types that satisfy every
constraint, launches those instances directly (no node groups), and later consolidates, replaces
and drains nodes without breaking PodDisruptionBudgets. Run several replicas: leader election
makes exactly one of them act at a time.

Every flag may instead be set through the environment variable named beside it; a flag given on
the command line wins over the environment.`

// Options is the controller's configuration, read once at start-up from flags and the environment and then passed
// by value or pointer to whatever needs it. Call Validate before use.
type Options struct {
	// ClusterName names the Kubernetes cluster; cloud resources Stevedore creates are tagged with it. Required.
	ClusterName string
	// ClusterEndpoint is the API server URL that new nodes join; empty means discover it.
	ClusterEndpoint string
	// ServiceCIDR is the cluster's service network, from which nodes derive the cluster DNS address.
	ServiceCIDR string

	// MetricsBindAddress is where the Prometheus metrics endpoint listens; "0" disables it.
	MetricsBindAddress string
	// HealthProbeBindAddress is where the /healthz and /readyz probes listen; "0" disables them.
	HealthProbeBindAddress string

	// LeaderElection makes replicas compete for a Lease so that only one acts at a time.
	LeaderElection bool
	// LeaderElectionNamespace is the namespace of the leader election Lease.
	LeaderElectionNamespace string

	// KubeClientQPS is the sustained rate of requests the controller makes to the Kubernetes API.
	KubeClientQPS float64
	// KubeClientBurst is how many requests may exceed KubeClientQPS in a burst.
	KubeClientBurst int

	// LogLevel is one of the LogLevel constants.
	LogLevel string

	// BatchMaxDuration is the longest the provisioner keeps gathering pending pods before it solves for them.
	BatchMaxDuration time.Duration
	// BatchIdleDuration ends a batch early once no new pending pod has arrived for this long.
	BatchIdleDuration time.Duration

	// VMMemoryOverheadPercent is the fraction of an instance type's memory, in [0, 1), assumed taken by the
	// hypervisor and so unavailable to the node.
	VMMemoryOverheadPercent float64

	// AWSRegion is the AWS region to work in; empty means the AWS SDK's default resolution (including IMDS).
	AWSRegion string
	// AWSEndpointURL overrides the endpoint of every AWS service, for example to point at a local simulator.
	AWSEndpointURL string
	// InterruptionQueue names the SQS queue carrying spot interruption and instance health events; empty disables
	// interruption handling.
	InterruptionQueue string

	// RegistrationTTL is how long a launched instance has to register its Node before the claim is deleted and
	// the instance terminated.
	RegistrationTTL time.Duration
	// GarbageCollectionInterval is how often instances that no NodeClaim owns are looked for.
	GarbageCollectionInterval time.Duration
	// GarbageCollectionGracePeriod is how old an instance no NodeClaim owns must be before it is terminated.
	GarbageCollectionGracePeriod time.Duration

	// FeatureGates switches gated behaviour on or off.
	FeatureGates FeatureGates
}

// setting is one command-line flag and the environment variables that stand in for it when it is not given.
type setting struct {
	flag string
	envs []string // consulted in order; the first non-empty one is used
}

// bind registers o's fields as flags on fs with their built-in defaults and returns the settings in the order
// --help lists them.
func (o *Options) bind(fs *flag.FlagSet) []setting {
	fs.StringVar(&o.ClusterName, "cluster-name", "",
		"Name of the Kubernetes cluster. Stevedore tags the cloud resources it creates with it. Required.")
	fs.StringVar(&o.ClusterEndpoint, "cluster-endpoint", "",
		"URL of the Kubernetes API server that new nodes join, such as https://example.eks.amazonaws.com.\nEmpty means discover it.")
	fs.StringVar(&o.ServiceCIDR, "service-cidr", "10.100.0.0/16",
		"The cluster's service network (EKS: the cluster's kubernetesNetworkConfig.serviceIpv4Cidr). Nodes\nderive the cluster DNS address from it.")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", ":8080",
		`Address the Prometheus metrics endpoint listens on, as host:port; "0" disables it.`)
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", ":8081",
		`Address the /healthz and /readyz probes listen on, as host:port; "0" disables them.`)
	fs.BoolVar(&o.LeaderElection, "leader-elect", true,
		"Compete for a Lease so that only one replica acts at a time. Disable only when running a single replica.")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "kube-system",
		"Namespace of the leader election Lease "+strconv.Quote(LeaderElectionID)+".")
	fs.Float64Var(&o.KubeClientQPS, "kube-client-qps", 200,
		"Sustained requests per second the controller may make to the Kubernetes API.")
	fs.IntVar(&o.KubeClientBurst, "kube-client-burst", 300,
		"Requests that may exceed --kube-client-qps in a burst.")
	fs.StringVar(&o.LogLevel, "log-level", LogLevelInfo,
		"Least severe log level written: "+strings.Join(logLevels, ", ")+".")
	fs.DurationVar(&o.BatchMaxDuration, "batch-max-duration", 10*time.Second,
		"Longest the provisioner gathers pending pods into one batch before solving for them.")
	fs.DurationVar(&o.BatchIdleDuration, "batch-idle-duration", time.Second,
		"Close a batch early once no new pending pod has arrived for this long. At most --batch-max-duration.")
	fs.Float64Var(&o.VMMemoryOverheadPercent, "vm-memory-overhead-percent", 0.075,
		"Fraction of an instance type's memory, in [0, 1), assumed lost to the hypervisor.")
	fs.StringVar(&o.AWSRegion, "aws-region", "",
		"AWS region to work in. Empty means the AWS SDK's default resolution, including instance metadata.")
	fs.StringVar(&o.AWSEndpointURL, "aws-endpoint-url", "",
		"Endpoint URL for every AWS service, overriding the default; used to reach a local AWS simulator.")
	fs.DurationVar(&o.RegistrationTTL, "registration-ttl", 15*time.Minute,
		"How long a launched instance has to register its Node before it is terminated and its pods are\nprovisioned again.")
	fs.DurationVar(&o.GarbageCollectionInterval, "garbage-collection-interval", 2*time.Minute,
		"How often to look for instances of this cluster that no NodeClaim owns (leaked) and terminate them.")
	fs.DurationVar(&o.GarbageCollectionGracePeriod, "garbage-collection-grace-period", time.Minute,
		"How old a leaked instance must be before it is terminated.")
	fs.Var(featureGatesValue{&o.FeatureGates}, "feature-gates",
		"Gated behaviour to switch, as Name=true|false,...: "+FeatureSpotToSpotConsolidation+" (default false).")
	fs.StringVar(&o.InterruptionQueue, "interruption-queue", "",
		"Name of the SQS queue that carries spot interruption and instance health events. Empty disables\ninterruption handling.")

	return []setting{
		{"cluster-name", []string{"CLUSTER_NAME"}},
		{"cluster-endpoint", []string{"CLUSTER_ENDPOINT"}},
		{"service-cidr", []string{"SERVICE_CIDR"}},
		{"metrics-bind-address", []string{"METRICS_BIND_ADDRESS"}},
		{"health-probe-bind-address", []string{"HEALTH_PROBE_BIND_ADDRESS"}},
		{"leader-elect", []string{"LEADER_ELECT"}},
		// POD_NAMESPACE comes from the downward API, so an installed controller keeps its Lease beside itself.
		{"leader-election-namespace", []string{"LEADER_ELECTION_NAMESPACE", "POD_NAMESPACE"}},
		{"kube-client-qps", []string{"KUBE_CLIENT_QPS"}},
		{"kube-client-burst", []string{"KUBE_CLIENT_BURST"}},
		{"log-level", []string{"LOG_LEVEL"}},
		{"batch-max-duration", []string{"BATCH_MAX_DURATION"}},
		{"batch-idle-duration", []string{"BATCH_IDLE_DURATION"}},
		{"vm-memory-overhead-percent", []string{"VM_MEMORY_OVERHEAD_PERCENT"}},
		{"aws-region", []string{"AWS_REGION"}},
		{"aws-endpoint-url", []string{"AWS_ENDPOINT_URL"}},
		{"interruption-queue", []string{"INTERRUPTION_QUEUE"}},
		{"registration-ttl", []string{"REGISTRATION_TTL"}},
		{"garbage-collection-interval", []string{"GARBAGE_COLLECTION_INTERVAL"}},
		{"garbage-collection-grace-period", []string{"GARBAGE_COLLECTION_GRACE_PERIOD"}},
		{"feature-gates", []string{"FEATURE_GATES"}},
	}
}

// ParseOptions reads Options from command-line arguments (without the program name) and, for flags not given, from
// the environment through getenv. It does not validate; call Validate.
//
// With --help it writes the usage text to out and returns flag.ErrHelp; with --version it writes the version to
// out and returns ErrVersion. Any other error is a usage error.
func ParseOptions(args []string, getenv func(string) string, out io.Writer) (*Options, error) {
	o := &Options{}
	fs := flag.NewFlagSet(Name, flag.ContinueOnError)
	// Errors are returned and help is printed below, so the flag package prints nothing itself.
	fs.SetOutput(io.Discard)
	settings := o.bind(fs)
	showVersion := fs.Bool("version", false, "Print the version and exit.")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(out, fs, settings)
		}
		return nil, err
	}
	if *showVersion {
		fmt.Fprintln(out, Name, version.String())
		return nil, ErrVersion
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: the controller takes only flags", fs.Arg(0))
	}

	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	for _, s := range settings {
		if given[s.flag] {
			continue
		}
		for _, env := range s.envs {
			value := getenv(env)
			if value == "" {
				continue
			}
			if err := fs.Set(s.flag, value); err != nil {
				errs = append(errs, fmt.Errorf("invalid value %q for env %s (--%s): %w", value, env, s.flag, err))
			}
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}

// printUsage writes the --help text: what the controller does, then every flag with its environment variables and
// default.
func printUsage(w io.Writer, fs *flag.FlagSet, settings []setting) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s [flags]\n\nFlags:\n", description, Name)
	printFlag := func(name string, envs []string) {
		f := fs.Lookup(name)
		typeName, usage := flag.UnquoteUsage(f)
		if typeName != "" {
			name += " " + typeName
		}
		fmt.Fprintf(w, "  --%s\n", name)
		for _, line := range strings.Split(usage, "\n") {
			fmt.Fprintf(w, "        %s\n", line)
		}
		var notes []string
		if len(envs) > 0 {
			notes = append(notes, "env "+strings.Join(envs, ", then "))
		}
		switch {
		case f.DefValue == "" || f.DefValue == "false":
			// An empty or off default goes without saying.
		case typeName == "string":
			notes = append(notes, "default "+strconv.Quote(f.DefValue))
		default:
			notes = append(notes, "default "+f.DefValue)
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "        (%s)\n", strings.Join(notes, "; "))
		}
	}
	for _, s := range settings {
		printFlag(s.flag, s.envs)
	}
	printFlag("version", nil)
	fmt.Fprintf(w, "  --help\n        Print this help and exit.\n")
}

// Validate reports every invalid option at once, each error naming its flag and what it accepts.
func (o *Options) Validate() error {
	var errs []error
	invalid := func(flag, value, want string) {
		errs = append(errs, fmt.Errorf("invalid --%s %q: %s", flag, value, want))
	}

	if strings.TrimSpace(o.ClusterName) == "" {
		errs = append(errs, errors.New("--cluster-name is required (or set CLUSTER_NAME)"))
	}
	if o.ClusterEndpoint != "" && !isHTTPURL(o.ClusterEndpoint) {
		invalid("cluster-endpoint", o.ClusterEndpoint, "must be an absolute http or https URL")
	}
	if _, err := netip.ParsePrefix(o.ServiceCIDR); err != nil {
		invalid("service-cidr", o.ServiceCIDR, "must be a CIDR block, such as 10.100.0.0/16 or 172.20.0.0/16")
	}
	if !isBindAddress(o.MetricsBindAddress) {
		invalid("metrics-bind-address", o.MetricsBindAddress, `must be host:port, such as ":8080", or "0" to disable`)
	}
	if !isBindAddress(o.HealthProbeBindAddress) {
		invalid("health-probe-bind-address", o.HealthProbeBindAddress, `must be host:port, such as ":8081", or "0" to disable`)
	}
	if o.MetricsBindAddress == o.HealthProbeBindAddress && o.MetricsBindAddress != "0" && !strings.HasSuffix(o.MetricsBindAddress, ":0") {
		invalid("health-probe-bind-address", o.HealthProbeBindAddress, "must differ from --metrics-bind-address")
	}
	if o.LeaderElection {
		if len(validation.IsDNS1123Label(o.LeaderElectionNamespace)) > 0 {
			invalid("leader-election-namespace", o.LeaderElectionNamespace,
				"must be a namespace name (lower-case letters, digits and '-') when --leader-elect is on")
		}
	}
	if !(o.KubeClientQPS > 0) || math.IsInf(o.KubeClientQPS, 0) {
		invalid("kube-client-qps", fmt.Sprint(o.KubeClientQPS), "must be a positive number")
	}
	if o.KubeClientBurst < 1 {
		invalid("kube-client-burst", strconv.Itoa(o.KubeClientBurst), "must be at least 1")
	}
	if !slices.Contains(logLevels, o.LogLevel) {
		invalid("log-level", o.LogLevel, "must be one of "+strings.Join(logLevels, ", "))
	}
	if o.BatchMaxDuration <= 0 {
		invalid("batch-max-duration", o.BatchMaxDuration.String(), "must be a positive duration, such as 10s")
	}
	switch {
	case o.BatchIdleDuration <= 0:
		invalid("batch-idle-duration", o.BatchIdleDuration.String(), "must be a positive duration, such as 1s")
	case o.BatchMaxDuration > 0 && o.BatchIdleDuration > o.BatchMaxDuration:
		invalid("batch-idle-duration", o.BatchIdleDuration.String(),
			"must not exceed --batch-max-duration ("+o.BatchMaxDuration.String()+")")
	}
	if !(o.VMMemoryOverheadPercent >= 0 && o.VMMemoryOverheadPercent < 1) {
		invalid("vm-memory-overhead-percent", fmt.Sprint(o.VMMemoryOverheadPercent), "must be in [0, 1), such as 0.075")
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
		eg    string
	}{
		{"registration-ttl", o.RegistrationTTL, "15m"},
		{"garbage-collection-interval", o.GarbageCollectionInterval, "2m"},
		{"garbage-collection-grace-period", o.GarbageCollectionGracePeriod, "1m"},
	} {
		if d.value <= 0 {
			invalid(d.flag, d.value.String(), "must be a positive duration, such as "+d.eg)
		}
	}
	if o.AWSRegion != "" && !awsRegion.MatchString(o.AWSRegion) {
		invalid("aws-region", o.AWSRegion, "must be a region name, such as us-west-2")
	}
	if o.AWSEndpointURL != "" && !isHTTPURL(o.AWSEndpointURL) {
		invalid("aws-endpoint-url", o.AWSEndpointURL, "must be an absolute http or https URL, such as http://127.0.0.1:4566")
	}
	if o.InterruptionQueue != "" && !sqsQueueName.MatchString(o.InterruptionQueue) {
		invalid("interruption-queue", o.InterruptionQueue,
			"must be an SQS queue name: up to 80 letters, digits, hyphens and underscores")
	}
	return errors.Join(errs...)
}

var (
	// awsRegion is deliberately loose so that new partitions and local simulators are not rejected.
	awsRegion = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// sqsQueueName follows SQS's naming rule; the .fifo suffix counts towards the 80 characters.
	sqsQueueName = regexp.MustCompile(`^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$`)
)

// isBindAddress accepts what the metrics and probe servers accept: host:port with a numeric port, or "0".
func isBindAddress(addr string) bool {
	if addr == "0" {
		return true
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
