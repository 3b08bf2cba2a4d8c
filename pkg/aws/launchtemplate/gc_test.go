package launchtemplate_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/launchtemplate"
)

// ensure makes the template for nc with maxPods and returns its name.
func (e *env) ensure(t *testing.T, p *launchtemplate.Provider, nc string, maxPods int64) string {
	t.Helper()
	name, err := p.Ensure(t.Context(), spec(nodeClass(nc, nil), maxPods))
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// gc runs a collection at the current fake time and returns the templates left.
func (e *env) gc(t *testing.T, p *launchtemplate.Provider) []string {
	t.Helper()
	if err := p.GarbageCollect(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e.names(t)
}

func TestGarbageCollectDeletesOnlyLongUnused(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{UnusedFor: 24 * time.Hour})
	busy, idle := e.ensure(t, p, "default", 29), e.ensure(t, p, "default", 58)
	e.clk.Step(12 * time.Hour)
	e.ensure(t, p, "default", 29)
	e.clk.Step(12*time.Hour - time.Second)
	if got := e.gc(t, p); len(got) != 2 {
		t.Errorf("a second short of a day unused, templates %v; want both kept", got)
	}
	e.clk.Step(time.Second)
	if got := e.gc(t, p); !slices.Equal(got, []string{busy}) {
		t.Errorf("a day after the idle template's last use, templates %v; want only %s (used 12h ago), not %s", got, busy, idle)
	}
	e.clk.Step(12 * time.Hour)
	if got := e.gc(t, p); len(got) != 0 {
		t.Errorf("a day after the busy template's last use, templates %v; want none", got)
	}
	// A deleted template is forgotten: asking for it again makes it again, under the same name.
	if again := e.ensure(t, p, "default", 29); again != busy || e.count("CreateLaunchTemplate") != 3 {
		t.Errorf("Ensure after GC = %q with %d creates; want %s re-created (3 creates)", again, e.count("CreateLaunchTemplate"), busy)
	}
}

func TestGarbageCollectLeavesOtherTemplatesAlone(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{})
	ours := e.ensure(t, p, "default", 29)
	foreign := map[string]map[string]string{
		"stevedore/other/0123456789abcdef": {awsv1.TagCluster: "other"},
		"stevedore/test/untagged":          nil,
		"hand-made":                        {awsv1.TagCluster: "test"},
	}
	for name, tags := range foreign {
		in := &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image)}}
		for k, v := range tags {
			in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeLaunchTemplate, Tags: []ec2types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}}
		}
		if _, err := e.client.CreateLaunchTemplate(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Step(30 * 24 * time.Hour)
	got := e.gc(t, p)
	if slices.Contains(got, ours) || len(got) != len(foreign) {
		t.Errorf("after a month unused, templates %v; want all but %s", got, ours)
	}
	for name := range foreign {
		if !slices.Contains(got, name) {
			t.Errorf("%s was deleted; it is not this cluster's", name)
		}
	}
}

func TestGarbageCollectCountsFoundTemplatesAsUsedAtStartup(t *testing.T) {
	e := start(t)
	name := e.ensure(t, e.provider(launchtemplate.Options{}), "default", 29)
	e.clk.Step(20 * time.Hour)
	restarted := e.provider(launchtemplate.Options{})
	e.clk.Step(23 * time.Hour) // 43h after its last use, 23h after the restart
	if got := e.gc(t, restarted); !slices.Equal(got, []string{name}) {
		t.Errorf("23h after a restart, templates %v; want %s kept", got, name)
	}
	e.clk.Step(time.Hour)
	if got := e.gc(t, restarted); len(got) != 0 {
		t.Errorf("a day after a restart, templates %v; want %s deleted", got, name)
	}
}

func TestGarbageCollectForgetsTemplatesDeletedElsewhere(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{})
	name := e.ensure(t, p, "default", 29)
	if _, err := e.client.DeleteLaunchTemplate(t.Context(), &ec2.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	e.clk.Step(time.Minute)
	e.gc(t, p)
	if again := e.ensure(t, p, "default", 29); again != name || !slices.Equal(e.names(t), []string{name}) {
		t.Errorf("Ensure after an outside delete = %q, templates %v; want %s re-created", again, e.names(t), name)
	}
}

func TestDeleteAllDeletesOneNodeClass(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{})
	e.ensure(t, p, "doomed", 29)
	e.ensure(t, p, "doomed", 58)
	kept := e.ensure(t, p, "kept", 29)
	if err := p.DeleteAll(t.Context(), "doomed"); err != nil {
		t.Fatal(err)
	}
	if got := e.names(t); !slices.Equal(got, []string{kept}) {
		t.Errorf("after DeleteAll(doomed), templates %v; want only %s", got, kept)
	}
	// Nothing stale is remembered: a node class of the same name gets its template again.
	e.ensure(t, p, "doomed", 29)
	if got := len(e.names(t)); got != 2 {
		t.Errorf("%d templates after recreating doomed's; want 2", got)
	}
	if err := p.DeleteAll(t.Context(), "never-existed"); err != nil {
		t.Errorf("DeleteAll of a node class without templates: %v", err)
	}
}
