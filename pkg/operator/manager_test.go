package operator_test

import (
	"testing"

	"k8s.io/client-go/rest"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/operator"
)

// apiServer is a rest.Config for the package's API server with its own rate limits, which NewManager must not
// change. Registering controllers resolves their kinds' REST mappings, so building a manager needs the server.
func apiServer() *rest.Config {
	cfg := rest.CopyConfig(operator.TestEnv.Config)
	cfg.QPS, cfg.Burst = 5, 10
	return cfg
}

func TestNewManager(t *testing.T) {
	tests := []struct {
		name   string
		modify func(o *operator.Options)
	}{
		{name: "leader election", modify: func(*operator.Options) {}},
		{name: "no leader election", modify: func(o *operator.Options) { o.LeaderElection = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaults()
			o.ClusterName = "prod"
			o.AWSRegion = "us-east-1" // no instance metadata to ask
			// "0" keeps the probe server from binding a port at construction, which this test never releases.
			o.HealthProbeBindAddress = "0"
			o.MetricsBindAddress = "0"
			tt.modify(&o)
			if err := o.Validate(); err != nil {
				t.Fatalf("Validate() error = %v", err)
			}
			cfg := apiServer()

			mgr, err := operator.NewManager(t.Context(), cfg, &o)
			if err != nil {
				t.Fatalf("NewManager() error = %v", err)
			}

			for _, gvk := range []string{"NodePool", "NodeClaim"} {
				if !mgr.GetScheme().Recognizes(v1.SchemeGroupVersion.WithKind(gvk)) {
					t.Errorf("manager scheme does not recognise %s", gvk)
				}
			}
			if !mgr.GetScheme().Recognizes(awsv1.SchemeGroupVersion.WithKind("EC2NodeClass")) {
				t.Error("manager scheme does not recognise EC2NodeClass")
			}
			got := mgr.GetConfig()
			if got.QPS != float32(o.KubeClientQPS) || got.Burst != o.KubeClientBurst {
				t.Errorf("manager client QPS, burst = %v, %v; want %v, %v", got.QPS, got.Burst, o.KubeClientQPS, o.KubeClientBurst)
			}
			if cfg.QPS != 5 || cfg.Burst != 10 {
				t.Errorf("NewManager changed the caller's config: QPS, burst = %v, %v; want 5, 10", cfg.QPS, cfg.Burst)
			}
		})
	}
}

func TestNewManagerRequiresArguments(t *testing.T) {
	o := defaults()
	if _, err := operator.NewManager(t.Context(), nil, &o); err == nil {
		t.Error("NewManager(nil, opts) error = nil, want an error")
	}
	if _, err := operator.NewManager(t.Context(), apiServer(), nil); err == nil {
		t.Error("NewManager(cfg, nil) error = nil, want an error")
	}
}
