package launchtemplate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// EC2API is the part of the EC2 client this package calls.
type EC2API interface {
	CreateLaunchTemplate(context.Context, *ec2.CreateLaunchTemplateInput, ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateOutput, error)
	DescribeLaunchTemplates(context.Context, *ec2.DescribeLaunchTemplatesInput, ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplatesOutput, error)
	DeleteLaunchTemplate(context.Context, *ec2.DeleteLaunchTemplateInput, ...func(*ec2.Options)) (*ec2.DeleteLaunchTemplateOutput, error)
}

// DefaultUnusedFor is how long a template goes unused before GarbageCollect deletes it when Options.UnusedFor is
// zero: long enough that a cluster scaling in daily waves keeps its templates.
const DefaultUnusedFor = 24 * time.Hour

// Error codes EC2 answers with that this package expects.
const (
	codeAlreadyExists = "InvalidLaunchTemplateName.AlreadyExistsException"
	codeNameNotFound  = "InvalidLaunchTemplateName.NotFoundException"
	codeIDNotFound    = "InvalidLaunchTemplateId.NotFound"
)

// Options tune a Provider.
type Options struct {
	// UnusedFor is how long a template must go without being ensured before GarbageCollect deletes it;
	// DefaultUnusedFor when zero.
	UnusedFor time.Duration
}

// Provider creates, finds and deletes one cluster's launch templates. It is safe for concurrent use.
type Provider struct {
	client EC2API
	// cluster is the cluster's name; prefix is the start of every template name made for it.
	cluster, prefix string
	clk             clock.Clock
	unusedFor       time.Duration
	// startedAt is when the provider was made: templates it finds already in EC2 count as used then, so a
	// restarted controller does not delete templates its predecessor used a moment ago.
	startedAt time.Time

	mu sync.Mutex
	// lastUsed holds every template known to exist, by name, with when it was last ensured.
	lastUsed map[string]time.Time
	// locks serialise the EC2 calls about one name, so that concurrent Ensures create a template once and
	// GarbageCollect never deletes one an Ensure is handing out.
	locks map[string]*nameLock
}

// nameLock is a lock that a waiter can give up on when its context ends.
type nameLock struct {
	ch   chan struct{}
	refs int
}

// New returns a Provider for the cluster's templates.
func New(client EC2API, clusterName string, clk clock.Clock, opts Options) *Provider {
	if opts.UnusedFor <= 0 {
		opts.UnusedFor = DefaultUnusedFor
	}
	prefix := NamePrefix + unsafeNameChars.ReplaceAllString(clusterName, "-")
	// EC2 allows 128 characters; keep room for "/" and the 16-digit hash. EKS cluster names always fit.
	prefix = prefix[:min(len(prefix), 128-17)] + "/"
	return &Provider{
		client: client, cluster: clusterName, prefix: prefix, clk: clk, unusedFor: opts.UnusedFor,
		startedAt: clk.Now(), lastUsed: map[string]time.Time{}, locks: map[string]*nameLock{},
	}
}

// Ensure returns the name of the launch template for spec, creating it if it does not exist yet. The name is
// a function of the rendered content alone, so every caller, before or after a restart, gets the same name for
// the same spec. Errors are a *UserDataError when the node class's user data is unusable and a
// cloudprovider.NodeClassNotReadyError when its status lacks security groups, an instance profile or an image.
func (p *Provider) Ensure(ctx context.Context, spec Spec) (string, error) {
	c, err := render(p.cluster, spec)
	if err != nil {
		return "", err
	}
	hash, err := c.hash()
	if err != nil {
		return "", err
	}
	name := p.prefix + hash
	if p.touch(name) {
		return name, nil
	}
	unlock, err := p.lock(ctx, name)
	if err != nil {
		return "", err
	}
	defer unlock()
	if p.touch(name) { // made by a concurrent Ensure while this one waited
		return name, nil
	}
	exists, err := p.exists(ctx, name)
	if err != nil {
		return "", err
	}
	if !exists {
		if err := p.create(ctx, name, c); err != nil {
			return "", err
		}
	}
	p.mu.Lock()
	p.lastUsed[name] = p.clk.Now()
	p.mu.Unlock()
	return name, nil
}

// touch records a use of name and reports whether the template is known to exist.
func (p *Provider) touch(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.lastUsed[name]; !ok {
		return false
	}
	p.lastUsed[name] = p.clk.Now()
	return true
}

// exists asks EC2 whether a template called name exists.
func (p *Provider) exists(ctx context.Context, name string) (bool, error) {
	out, err := p.client.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{name}})
	if isCode(err, codeNameNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describing launch template %s: %w", name, err)
	}
	return len(out.LaunchTemplates) > 0, nil
}

// create makes the template. Losing a race to another creator of the same name is success: the name says
// the content is the same.
func (p *Provider) create(ctx context.Context, name string, c content) error {
	_, err := p.client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(name),
		LaunchTemplateData: c.Data,
		TagSpecifications:  []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeLaunchTemplate, Tags: c.Tags}},
	})
	if isCode(err, codeAlreadyExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating launch template %s: %w", name, err)
	}
	logr.FromContextOrDiscard(ctx).V(1).Info("created launch template", "launch-template", name)
	return nil
}

// lock takes the lock of name, waiting at most as long as ctx lives, and returns the function that releases it.
func (p *Provider) lock(ctx context.Context, name string) (func(), error) {
	p.mu.Lock()
	l := p.locks[name]
	if l == nil {
		l = &nameLock{ch: make(chan struct{}, 1)}
		p.locks[name] = l
	}
	l.refs++
	p.mu.Unlock()
	release := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if l.refs--; l.refs == 0 {
			delete(p.locks, name)
		}
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("waiting for launch template %s: %w", name, ctx.Err())
	}
}

// isCode reports whether err is an EC2 error with one of the codes.
func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}
