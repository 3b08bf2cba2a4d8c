package instancetype_test

import (
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/api/equality"
	clocktesting "k8s.io/utils/clock/testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// m5Zones lists the zones the provider offers m5.large in.
func m5Zones(t *testing.T, p *instancetype.Provider, zones ...string) []string {
	t.Helper()
	types, err := p.InstanceTypes(t.Context(), instancetype.Request{NodeClass: nodeClass(awsv1.CNIModeSecondaryIP), Zones: zones})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range byName(types)["m5.large"].Offerings {
		out = append(out, o.Zone)
	}
	return slices.Compact(out)
}

func TestOfferingsFollowEC2Zones(t *testing.T) {
	// EC2 sells everything in us-east-1a and b only; the node class also names us-east-1d, which it lacks. The
	// simulator cannot withhold one type from one of its zones, so a zone it does not have stands in for that.
	sim, client := simEC2(t, awssim.Options{Zones: []string{"us-east-1a", "us-east-1b"}})
	var logged []string
	log := funcr.New(func(_, args string) { logged = append(logged, args) }, funcr.Options{})
	offerings := instancetype.NewOfferingsSource(client, clocktesting.NewFakeClock(time.Now()), instancetype.OfferingsOptions{Log: log})
	p := instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic("us-east-1", nil, logr.Discard()), instancetype.Options{
		Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent, Offerings: offerings,
	})
	all := []string{"us-east-1a", "us-east-1b", "us-east-1d"}

	sim.SetThrottle(1)
	if err := offerings.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	if got := m5Zones(t, p, all...); !slices.Equal(got, all) {
		t.Errorf("before EC2 answered: m5.large in %v, want every zone %v", got, all)
	}
	if len(logged) != 1 {
		t.Errorf("want the fallback logged once, got %q", logged)
	}

	sim.SetThrottle(0)
	if err := offerings.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"us-east-1a", "us-east-1b"}
	if got := m5Zones(t, p, all...); !slices.Equal(got, want) {
		t.Errorf("m5.large in %v, want only EC2's zones %v", got, want)
	}
	if offerings.Offered("no.such-type", "us-east-1a") {
		t.Error("a type EC2 does not list is offered")
	}

	sim.SetThrottle(1)
	if err := offerings.Refresh(t.Context()); err == nil {
		t.Fatal("refresh succeeded while every request was throttled")
	}
	if got := m5Zones(t, p, all...); !slices.Equal(got, want) || offerings.Version() != 1 {
		t.Errorf("after a failed refresh: m5.large in %v (version %d), want the last good %v (version 1)", got, offerings.Version(), want)
	}
}

func TestProviderOnEC2Data(t *testing.T) {
	_, client := simEC2(t, awssim.Options{})
	clk := clocktesting.NewFakeClock(time.Now())
	facts := instancetype.NewEC2Source(client, clk, instancetype.EC2Options{Fallback: catalog.InstanceTypes()})
	offerings := instancetype.NewOfferingsSource(client, clk, instancetype.OfferingsOptions{})
	for _, refresh := range []func() error{func() error { return facts.Refresh(t.Context()) }, func() error { return offerings.Refresh(t.Context()) }} {
		if err := refresh(); err != nil {
			t.Fatal(err)
		}
	}
	opts := instancetype.Options{Region: "us-east-1", VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent}
	offline := instancetype.NewProvider(catalog.FactsSource(), pricing.NewStatic("us-east-1", nil, logr.Discard()), opts)
	opts.Offerings = offerings
	live := instancetype.NewProvider(facts, pricing.NewStatic("us-east-1", nil, logr.Discard()), opts)
	req := instancetype.Request{NodeClass: nodeClass(awsv1.CNIModeSecondaryIP), Zones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}}
	want, err := offline.InstanceTypes(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := live.InstanceTypes(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d types from EC2 data, %d from the catalog", len(got), len(want))
	}
	// EC2's facts are the catalog's, so the node model must come out the same. The simulator does not serve
	// Neuron or inference accelerators (EC2 does), so those types lack aws.amazon.com/neuron here; they are
	// skipped, and TestFactsFromEC2 covers their mapping.
	for i := range got {
		g, w := got[i], want[i]
		if f, _ := catalog.Lookup(w.Name); f.Accelerator != nil {
			continue
		}
		if g.Name != w.Name || !equality.Semantic.DeepEqual(g.Capacity, w.Capacity) || len(g.Offerings) != len(w.Offerings) {
			t.Errorf("%s: capacity %v, %d offerings; catalog %s: %v, %d offerings", g.Name, g.Capacity, len(g.Offerings), w.Name, w.Capacity, len(w.Offerings))
		}
	}
}
