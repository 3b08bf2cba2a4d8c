package launchtemplate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/go-logr/logr"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

// GarbageCollect deletes the cluster's templates that no Ensure has asked for within Options.UnusedFor.
// Templates it has never seen count as used when the provider started (or when they were created, if later).
// It only considers templates tagged for this cluster and named as this package names them, and forgets
// templates that disappeared behind its back, so that the next Ensure re-creates them.
func (p *Provider) GarbageCollect(ctx context.Context) error {
	listedAt := p.clk.Now()
	templates, err := p.list(ctx, nil)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	var stale []string
	p.mu.Lock()
	for _, t := range templates {
		name := aws.ToString(t.LaunchTemplateName)
		listed[name] = true
		if _, ok := p.lastUsed[name]; !ok {
			p.lastUsed[name] = later(p.startedAt, aws.ToTime(t.CreateTime))
		}
		if p.isStale(name, listedAt) {
			stale = append(stale, name)
		}
	}
	for name, used := range p.lastUsed {
		// Templates ensured since the listing began may be missing from it only because they are new.
		if !listed[name] && used.Before(listedAt) {
			delete(p.lastUsed, name)
		}
	}
	p.mu.Unlock()
	var errs []error
	for _, name := range stale {
		errs = append(errs, p.delete(ctx, name, true))
	}
	return errors.Join(errs...)
}

// DeleteAll deletes every template of the cluster made for the named EC2NodeClass, used or not; call it once
// the node class is gone.
func (p *Provider) DeleteAll(ctx context.Context, nodeClassName string) error {
	templates, err := p.list(ctx, []ec2types.Filter{{Name: aws.String("tag:" + awsv1.TagEC2NodeClass), Values: []string{nodeClassName}}})
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range templates {
		if tag(t.Tags, awsv1.TagEC2NodeClass) == nodeClassName {
			errs = append(errs, p.delete(ctx, aws.ToString(t.LaunchTemplateName), false))
		}
	}
	return errors.Join(errs...)
}

// isStale reports whether name has gone unused for UnusedFor at now; p.mu must be held.
func (p *Provider) isStale(name string, now time.Time) bool {
	used, ok := p.lastUsed[name]
	return ok && now.Sub(used) >= p.unusedFor
}

// delete deletes a template, holding its name's lock so that no Ensure hands it out meanwhile. With onlyStale,
// a template ensured since it was found stale is kept.
func (p *Provider) delete(ctx context.Context, name string, onlyStale bool) error {
	unlock, err := p.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	p.mu.Lock()
	if onlyStale && !p.isStale(name, p.clk.Now()) {
		p.mu.Unlock()
		return nil
	}
	// Forget it before deleting: if the call fails, the next Ensure asks EC2 rather than trusting the cache.
	delete(p.lastUsed, name)
	p.mu.Unlock()
	_, err = p.client.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String(name)})
	if isCode(err, codeNameNotFound, codeIDNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting launch template %s: %w", name, err)
	}
	logr.FromContextOrDiscard(ctx).Info("deleted launch template", "launch-template", name)
	return nil
}

// list returns the cluster's templates matching the extra filters. The name prefix is checked as well as the
// cluster tag, so a template someone else made and tagged is never touched.
func (p *Provider) list(ctx context.Context, filters []ec2types.Filter) ([]ec2types.LaunchTemplate, error) {
	in := &ec2.DescribeLaunchTemplatesInput{
		Filters: append([]ec2types.Filter{{Name: aws.String("tag:" + awsv1.TagCluster), Values: []string{p.cluster}}}, filters...),
	}
	var out []ec2types.LaunchTemplate
	for pages := ec2.NewDescribeLaunchTemplatesPaginator(p.client, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing launch templates: %w", err)
		}
		for _, t := range page.LaunchTemplates {
			if tag(t.Tags, awsv1.TagCluster) == p.cluster && strings.HasPrefix(aws.ToString(t.LaunchTemplateName), p.prefix) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

func tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
