package operator_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-dev/stevedore/pkg/operator"
)

// env returns a getenv backed by a map, so tests never read the real environment.
func env(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

// defaults is what ParseOptions yields with no flags and an empty environment.
func defaults() operator.Options {
	return operator.Options{
		ServiceCIDR:                  "10.100.0.0/16",
		MetricsBindAddress:           ":8080",
		HealthProbeBindAddress:       ":8081",
		LeaderElection:               true,
		LeaderElectionNamespace:      "kube-system",
		KubeClientQPS:                200,
		KubeClientBurst:              300,
		LogLevel:                     "info",
		BatchMaxDuration:             10 * time.Second,
		BatchIdleDuration:            time.Second,
		VMMemoryOverheadPercent:      0.075,
		RegistrationTTL:              15 * time.Minute,
		GarbageCollectionInterval:    2 * time.Minute,
		GarbageCollectionGracePeriod: time.Minute,
	}
}

// custom sets every option away from its default; the flags and environment variables in TestParseOptions spell it.
func custom() operator.Options {
	return operator.Options{
		ClusterName:                  "prod",
		FeatureGates:                 operator.FeatureGates{operator.FeatureSpotToSpotConsolidation: true},
		ClusterEndpoint:              "https://api.example.com",
		ServiceCIDR:                  "172.20.0.0/16",
		MetricsBindAddress:           ":9090",
		HealthProbeBindAddress:       "127.0.0.1:9091",
		LeaderElection:               false,
		LeaderElectionNamespace:      "stevedore",
		KubeClientQPS:                50.5,
		KubeClientBurst:              75,
		LogLevel:                     "debug",
		BatchMaxDuration:             30 * time.Second,
		BatchIdleDuration:            2 * time.Second,
		VMMemoryOverheadPercent:      0.1,
		AWSRegion:                    "eu-west-1",
		AWSEndpointURL:               "http://127.0.0.1:4566",
		InterruptionQueue:            "prod-events",
		RegistrationTTL:              time.Minute,
		GarbageCollectionInterval:    10 * time.Second,
		GarbageCollectionGracePeriod: 20 * time.Second,
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(o *operator.Options)
	}{
		{
			name: "defaults",
			want: func(*operator.Options) {},
		},
		{
			name: "every flag",
			args: []string{
				"--cluster-name=prod", "--cluster-endpoint=https://api.example.com", "--service-cidr=172.20.0.0/16",
				"--metrics-bind-address=:9090", "--health-probe-bind-address=127.0.0.1:9091",
				"--leader-elect=false", "--leader-election-namespace=stevedore",
				"--kube-client-qps=50.5", "--kube-client-burst=75", "--log-level=debug",
				"--batch-max-duration=30s", "--batch-idle-duration=2s", "--vm-memory-overhead-percent=0.1",
				"--aws-region=eu-west-1", "--aws-endpoint-url=http://127.0.0.1:4566", "--interruption-queue=prod-events",
				"--feature-gates=SpotToSpotConsolidation=true", "--registration-ttl=1m",
				"--garbage-collection-interval=10s", "--garbage-collection-grace-period=20s",
			},
			want: func(o *operator.Options) { *o = custom() },
		},
		{
			name: "every environment variable",
			env: map[string]string{
				"CLUSTER_NAME": "prod", "CLUSTER_ENDPOINT": "https://api.example.com", "SERVICE_CIDR": "172.20.0.0/16",
				"METRICS_BIND_ADDRESS": ":9090", "HEALTH_PROBE_BIND_ADDRESS": "127.0.0.1:9091",
				"LEADER_ELECT": "false", "LEADER_ELECTION_NAMESPACE": "stevedore",
				"KUBE_CLIENT_QPS": "50.5", "KUBE_CLIENT_BURST": "75", "LOG_LEVEL": "debug",
				"BATCH_MAX_DURATION": "30s", "BATCH_IDLE_DURATION": "2s", "VM_MEMORY_OVERHEAD_PERCENT": "0.1",
				"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "INTERRUPTION_QUEUE": "prod-events",
				"FEATURE_GATES": "SpotToSpotConsolidation=true", "REGISTRATION_TTL": "1m",
				"GARBAGE_COLLECTION_INTERVAL": "10s", "GARBAGE_COLLECTION_GRACE_PERIOD": "20s",
			},
			want: func(o *operator.Options) { *o = custom() },
		},
		{
			name: "flag wins over environment",
			args: []string{"--cluster-name=from-flag", "--log-level=warn", "--leader-elect=true"},
			env:  map[string]string{"CLUSTER_NAME": "from-env", "LOG_LEVEL": "debug", "LEADER_ELECT": "false"},
			want: func(o *operator.Options) {
				o.ClusterName = "from-flag"
				o.LogLevel = "warn"
			},
		},
		{
			name: "flag wins over an environment value that would not parse",
			args: []string{"--batch-max-duration=20s"},
			env:  map[string]string{"BATCH_MAX_DURATION": "soon"},
			want: func(o *operator.Options) { o.BatchMaxDuration = 20 * time.Second },
		},
		{
			name: "lease namespace falls back to the pod's namespace",
			env:  map[string]string{"POD_NAMESPACE": "stevedore"},
			want: func(o *operator.Options) { o.LeaderElectionNamespace = "stevedore" },
		},
		{
			name: "explicit lease namespace wins over the pod's namespace",
			env:  map[string]string{"LEADER_ELECTION_NAMESPACE": "leases", "POD_NAMESPACE": "stevedore"},
			want: func(o *operator.Options) { o.LeaderElectionNamespace = "leases" },
		},
		{
			name: "empty environment values are ignored",
			env:  map[string]string{"LOG_LEVEL": "", "CLUSTER_NAME": ""},
			want: func(*operator.Options) {},
		},
		{
			name: "single-dash flags are accepted",
			args: []string{"-cluster-name", "prod"},
			want: func(o *operator.Options) { o.ClusterName = "prod" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := operator.ParseOptions(tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatalf("ParseOptions() error = %v", err)
			}
			want := defaults()
			tt.want(&want)
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("ParseOptions() =\n%+v\nwant\n%+v", *got, want)
			}
		})
	}
}

func TestParseOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error
	}{
		{
			name: "unknown flag",
			args: []string{"--bogus"},
			want: []string{"bogus"},
		},
		{
			name: "flag value of the wrong type",
			args: []string{"--kube-client-burst=lots"},
			want: []string{"kube-client-burst", `"lots"`},
		},
		{
			name: "environment value of the wrong type names the variable and the flag",
			env:  map[string]string{"BATCH_IDLE_DURATION": "soon"},
			want: []string{"BATCH_IDLE_DURATION", "--batch-idle-duration", `"soon"`},
		},
		{
			name: "every bad environment value is reported",
			env:  map[string]string{"LEADER_ELECT": "perhaps", "KUBE_CLIENT_QPS": "fast"},
			want: []string{"LEADER_ELECT", "--leader-elect", "KUBE_CLIENT_QPS", "--kube-client-qps"},
		},
		{
			name: "unknown feature gate names the known ones",
			args: []string{"--feature-gates=Teleport=true"},
			want: []string{"feature-gates", `unknown feature gate "Teleport"`, "SpotToSpotConsolidation"},
		},
		{
			name: "feature gate that is not a boolean",
			env:  map[string]string{"FEATURE_GATES": "SpotToSpotConsolidation=maybe"},
			want: []string{"FEATURE_GATES", "--feature-gates", "want true or false"},
		},
		{
			name: "positional argument",
			args: []string{"--cluster-name=prod", "run"},
			want: []string{`unexpected argument "run"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := operator.ParseOptions(tt.args, env(tt.env), &out)
			if err == nil {
				t.Fatal("ParseOptions() error = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseOptions() error = %q, want it to contain %q", err, w)
				}
			}
			if out.Len() > 0 {
				t.Errorf("ParseOptions() wrote %q to out on error, want nothing", out.String())
			}
		})
	}
}

func TestParseOptionsHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		t.Run(arg, func(t *testing.T) {
			var out bytes.Buffer
			_, err := operator.ParseOptions([]string{arg}, env(nil), &out)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("ParseOptions(%s) error = %v, want flag.ErrHelp", arg, err)
			}
			usage := out.String()
			want := []string{
				"Usage:", "EC2", "leader election",
				"--cluster-name string", "CLUSTER_NAME",
				"--cluster-endpoint string", "CLUSTER_ENDPOINT",
				"--service-cidr string", "SERVICE_CIDR", `default "10.100.0.0/16"`,
				"--metrics-bind-address string", "METRICS_BIND_ADDRESS", `default ":8080"`,
				"--health-probe-bind-address string", "HEALTH_PROBE_BIND_ADDRESS", `default ":8081"`,
				"--leader-elect\n", "LEADER_ELECT", "default true",
				"--leader-election-namespace string", "LEADER_ELECTION_NAMESPACE, then POD_NAMESPACE", `default "kube-system"`,
				"--kube-client-qps float", "KUBE_CLIENT_QPS",
				"--kube-client-burst int", "KUBE_CLIENT_BURST",
				"--log-level string", "LOG_LEVEL", "debug, info, warn, error",
				"--batch-max-duration duration", "BATCH_MAX_DURATION", "default 10s",
				"--batch-idle-duration duration", "BATCH_IDLE_DURATION", "default 1s",
				"--vm-memory-overhead-percent float", "VM_MEMORY_OVERHEAD_PERCENT", "default 0.075",
				"--aws-region string", "AWS_REGION",
				"--aws-endpoint-url string", "AWS_ENDPOINT_URL",
				"--interruption-queue string", "INTERRUPTION_QUEUE",
				"--feature-gates", "FEATURE_GATES", "SpotToSpotConsolidation",
				"--version", "--help",
			}
			for _, w := range want {
				if !strings.Contains(usage, w) {
					t.Errorf("usage does not contain %q; usage:\n%s", w, usage)
				}
			}
		})
	}
}

func TestParseOptionsVersion(t *testing.T) {
	var out bytes.Buffer
	_, err := operator.ParseOptions([]string{"--version"}, env(nil), &out)
	if !errors.Is(err, operator.ErrVersion) {
		t.Fatalf("ParseOptions(--version) error = %v, want ErrVersion", err)
	}
	if got := out.String(); !strings.HasPrefix(got, operator.Name+" ") {
		t.Errorf("ParseOptions(--version) wrote %q, want a line starting with %q", got, operator.Name)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(o *operator.Options)
		want   []string // substrings of the error; none means valid
	}{
		{name: "defaults with a cluster name", modify: func(*operator.Options) {}},
		{
			name: "every optional setting",
			modify: func(o *operator.Options) {
				o.ClusterEndpoint = "https://ABC.gr7.us-west-2.eks.amazonaws.com"
				o.AWSRegion = "us-gov-west-1"
				o.AWSEndpointURL = "http://127.0.0.1:4566"
				o.InterruptionQueue = "stevedore-interruptions.fifo"
			},
		},
		{
			name:   "metrics and probes disabled",
			modify: func(o *operator.Options) { o.MetricsBindAddress, o.HealthProbeBindAddress = "0", "0" },
		},
		{
			name:   "both servers on ephemeral ports",
			modify: func(o *operator.Options) { o.MetricsBindAddress, o.HealthProbeBindAddress = ":0", ":0" },
		},
		{
			name:   "lease namespace is ignored without leader election",
			modify: func(o *operator.Options) { o.LeaderElection, o.LeaderElectionNamespace = false, "" },
		},
		{
			name:   "zero memory overhead",
			modify: func(o *operator.Options) { o.VMMemoryOverheadPercent = 0 },
		},
		{
			name:   "idle duration equal to max duration",
			modify: func(o *operator.Options) { o.BatchIdleDuration = o.BatchMaxDuration },
		},
		{
			name:   "missing cluster name",
			modify: func(o *operator.Options) { o.ClusterName = "" },
			want:   []string{"--cluster-name is required", "CLUSTER_NAME"},
		},
		{
			name:   "blank cluster name",
			modify: func(o *operator.Options) { o.ClusterName = "  " },
			want:   []string{"--cluster-name is required"},
		},
		{
			name:   "cluster endpoint without scheme",
			modify: func(o *operator.Options) { o.ClusterEndpoint = "api.example.com" },
			want:   []string{`--cluster-endpoint "api.example.com"`, "http or https URL"},
		},
		{
			name:   "metrics address without port",
			modify: func(o *operator.Options) { o.MetricsBindAddress = "8080" },
			want:   []string{`--metrics-bind-address "8080"`, "host:port"},
		},
		{
			name:   "probe address with a port out of range",
			modify: func(o *operator.Options) { o.HealthProbeBindAddress = ":70000" },
			want:   []string{`--health-probe-bind-address ":70000"`, "host:port"},
		},
		{
			name:   "probe address clashing with metrics",
			modify: func(o *operator.Options) { o.HealthProbeBindAddress = o.MetricsBindAddress },
			want:   []string{"--health-probe-bind-address", "must differ from --metrics-bind-address"},
		},
		{
			name:   "bad lease namespace",
			modify: func(o *operator.Options) { o.LeaderElectionNamespace = "Kube_System" },
			want:   []string{`--leader-election-namespace "Kube_System"`},
		},
		{
			name:   "empty lease namespace with leader election",
			modify: func(o *operator.Options) { o.LeaderElectionNamespace = "" },
			want:   []string{"--leader-election-namespace"},
		},
		{
			name:   "zero qps",
			modify: func(o *operator.Options) { o.KubeClientQPS = 0 },
			want:   []string{"--kube-client-qps", "positive"},
		},
		{
			name:   "zero burst",
			modify: func(o *operator.Options) { o.KubeClientBurst = 0 },
			want:   []string{"--kube-client-burst", "at least 1"},
		},
		{
			name:   "unknown log level",
			modify: func(o *operator.Options) { o.LogLevel = "trace" },
			want:   []string{`--log-level "trace"`, "debug, info, warn, error"},
		},
		{
			name:   "zero batch max duration",
			modify: func(o *operator.Options) { o.BatchMaxDuration = 0 },
			want:   []string{"--batch-max-duration", "positive"},
		},
		{
			name:   "negative batch idle duration",
			modify: func(o *operator.Options) { o.BatchIdleDuration = -time.Second },
			want:   []string{"--batch-idle-duration", "positive"},
		},
		{
			name:   "batch idle duration over max",
			modify: func(o *operator.Options) { o.BatchIdleDuration = time.Minute },
			want:   []string{"--batch-idle-duration", "must not exceed --batch-max-duration"},
		},
		{
			name:   "zero registration TTL",
			modify: func(o *operator.Options) { o.RegistrationTTL = 0 },
			want:   []string{"--registration-ttl", "positive duration, such as 15m"},
		},
		{
			name:   "negative garbage collection grace period",
			modify: func(o *operator.Options) { o.GarbageCollectionGracePeriod = -time.Second },
			want:   []string{"--garbage-collection-grace-period", "positive"},
		},
		{
			name:   "memory overhead of one",
			modify: func(o *operator.Options) { o.VMMemoryOverheadPercent = 1 },
			want:   []string{"--vm-memory-overhead-percent", "[0, 1)"},
		},
		{
			name:   "negative memory overhead",
			modify: func(o *operator.Options) { o.VMMemoryOverheadPercent = -0.1 },
			want:   []string{"--vm-memory-overhead-percent", "[0, 1)"},
		},
		{
			name:   "service CIDR that is an address",
			modify: func(o *operator.Options) { o.ServiceCIDR = "10.100.0.1" },
			want:   []string{`--service-cidr "10.100.0.1"`, "CIDR block"},
		},
		{
			name:   "region with spaces",
			modify: func(o *operator.Options) { o.AWSRegion = "us west 2" },
			want:   []string{`--aws-region "us west 2"`},
		},
		{
			name:   "endpoint URL without scheme",
			modify: func(o *operator.Options) { o.AWSEndpointURL = "localhost:4566" },
			want:   []string{`--aws-endpoint-url "localhost:4566"`},
		},
		{
			name:   "queue name too long",
			modify: func(o *operator.Options) { o.InterruptionQueue = strings.Repeat("q", 81) },
			want:   []string{"--interruption-queue", "SQS queue name"},
		},
		{
			name: "every problem reported at once",
			modify: func(o *operator.Options) {
				o.ClusterName = ""
				o.LogLevel = "loud"
				o.VMMemoryOverheadPercent = 2
			},
			want: []string{"--cluster-name", "--log-level", "--vm-memory-overhead-percent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaults()
			o.ClusterName = "prod"
			tt.modify(&o)
			err := o.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() error = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() error = nil, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestFeatureGatesDefaultOff(t *testing.T) {
	if (operator.FeatureGates{}).Enabled(operator.FeatureSpotToSpotConsolidation) {
		t.Error("SpotToSpotConsolidation is on without being asked for")
	}
	on := operator.FeatureGates{operator.FeatureSpotToSpotConsolidation: true}
	if !on.Enabled(operator.FeatureSpotToSpotConsolidation) || on.String() != "SpotToSpotConsolidation=true" {
		t.Errorf("gates %q: want SpotToSpotConsolidation on", on.String())
	}
}
