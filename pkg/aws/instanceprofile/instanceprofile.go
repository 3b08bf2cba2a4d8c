package instanceprofile

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"k8s.io/utils/clock"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

// IAMAPI is the part of the IAM client this package calls.
type IAMAPI interface {
	CreateInstanceProfile(context.Context, *iam.CreateInstanceProfileInput, ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error)
	GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	AddRoleToInstanceProfile(context.Context, *iam.AddRoleToInstanceProfileInput, ...func(*iam.Options)) (*iam.AddRoleToInstanceProfileOutput, error)
	RemoveRoleFromInstanceProfile(context.Context, *iam.RemoveRoleFromInstanceProfileInput, ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteInstanceProfile(context.Context, *iam.DeleteInstanceProfileInput, ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error)
}

// CacheTTL is how long a profile found in the desired state is trusted before IAM is asked again; it bounds how
// long an out-of-band change (someone deleting the profile or swapping its role) goes unrepaired.
const CacheTTL = 15 * time.Minute

// maxNameLength is IAM's limit on instance profile names.
const maxNameLength = 128

// Provider ensures and deletes the instance profiles of one cluster's node classes. It is safe for concurrent
// use.
type Provider struct {
	iam         IAMAPI
	clusterName string
	region      string
	clock       clock.PassiveClock

	mu sync.Mutex
	// verified maps a profile name to the role it was last seen holding ("" for a user-supplied profile) and
	// when.
	verified map[string]verification
}

type verification struct {
	role string
	at   time.Time
}

// New returns a Provider that creates profiles for clusterName in region and ages its cache with clk.
func New(client IAMAPI, clusterName, region string, clk clock.PassiveClock) *Provider {
	return &Provider{iam: client, clusterName: clusterName, region: region, clock: clk, verified: map[string]verification{}}
}

// NotFoundError means the instance profile named by spec.instanceProfile, or the role named by spec.role, does
// not exist in IAM: the user must fix the spec or create it, so retrying soon will not help.
type NotFoundError struct {
	// Field is the spec field naming the missing entity: spec.role or spec.instanceProfile.
	Field string
	// Name is the missing role or instance profile.
	Name string
	err  error
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %q not found: %v", e.Field, e.Name, e.err)
}

// Unwrap returns the IAM error.
func (e *NotFoundError) Unwrap() error { return e.err }

// IsNotFound reports whether err is or wraps a NotFoundError.
func IsNotFound(err error) bool {
	var target *NotFoundError
	return errors.As(err, &target)
}

// Name is the instance profile Stevedore owns for a node class: stevedore_<cluster>_<hash of region and class>,
// cut to IAM's 128 characters by shortening the cluster name.
func (p *Provider) Name(nodeClassName string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(p.region + "/" + nodeClassName))
	suffix := fmt.Sprintf("_%016x", h.Sum64())
	cluster := p.clusterName
	if room := maxNameLength - len("stevedore_") - len(suffix); len(cluster) > room {
		cluster = cluster[:room]
	}
	return "stevedore_" + cluster + suffix
}

// Ensure returns the instance profile nc's instances launch with: spec.instanceProfile once it is known to
// exist, or the profile Stevedore owns for spec.role, created and given the role as needed. A missing role or
// profile is a NotFoundError.
func (p *Provider) Ensure(ctx context.Context, nc *awsv1.EC2NodeClass) (string, error) {
	if nc.Spec.InstanceProfile != nil {
		name := *nc.Spec.InstanceProfile
		if p.fresh(name, "") {
			return name, nil
		}
		if _, err := p.get(ctx, name); err != nil {
			if isNoSuchEntity(err) {
				return "", &NotFoundError{Field: "spec.instanceProfile", Name: name, err: err}
			}
			return "", fmt.Errorf("getting instance profile %s: %w", name, err)
		}
		p.remember(name, "")
		return name, nil
	}
	if nc.Spec.Role == "" {
		return "", errors.New("neither spec.role nor spec.instanceProfile is set")
	}
	name, role := p.Name(nc.Name), nc.Spec.Role
	if p.fresh(name, role) {
		return name, nil
	}
	profile, err := p.create(ctx, name, nc.Name)
	if err != nil {
		return "", err
	}
	if err := p.setRole(ctx, profile, role); err != nil {
		return "", err
	}
	p.remember(name, role)
	return name, nil
}

// create returns the profile called name, creating it if it does not exist.
func (p *Provider) create(ctx context.Context, name, nodeClassName string) (*iamtypes.InstanceProfile, error) {
	profile, err := p.get(ctx, name)
	if err == nil {
		return profile, nil
	}
	if !isNoSuchEntity(err) {
		return nil, fmt.Errorf("getting instance profile %s: %w", name, err)
	}
	out, err := p.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{
		InstanceProfileName: aws.String(name),
		Tags: []iamtypes.Tag{
			{Key: aws.String(awsv1.TagCluster), Value: aws.String(p.clusterName)},
			{Key: aws.String(awsv1.TagEC2NodeClass), Value: aws.String(nodeClassName)},
		},
	})
	switch {
	case hasCode(err, "EntityAlreadyExists"):
		// Another replica (or a previous attempt whose answer was lost) created it first.
		if profile, err = p.get(ctx, name); err != nil {
			return nil, fmt.Errorf("getting instance profile %s: %w", name, err)
		}
		return profile, nil
	case err != nil:
		return nil, fmt.Errorf("creating instance profile %s: %w", name, err)
	}
	return out.InstanceProfile, nil
}

// setRole makes role the only role of profile. A profile holds at most one role, so another one is removed
// first.
func (p *Provider) setRole(ctx context.Context, profile *iamtypes.InstanceProfile, role string) error {
	name := aws.ToString(profile.InstanceProfileName)
	has := false
	for _, r := range profile.Roles {
		if strings.EqualFold(aws.ToString(r.RoleName), role) {
			has = true
			continue
		}
		if err := p.removeRole(ctx, name, aws.ToString(r.RoleName)); err != nil {
			return err
		}
	}
	if has {
		return nil
	}
	_, err := p.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
		InstanceProfileName: aws.String(name), RoleName: aws.String(role),
	})
	switch {
	case isNoSuchEntity(err):
		return &NotFoundError{Field: "spec.role", Name: role, err: err}
	case err != nil:
		return fmt.Errorf("adding role %s to instance profile %s: %w", role, name, err)
	}
	return nil
}

// Delete removes the instance profile Stevedore created for nc, if any: a user-supplied spec.instanceProfile is
// left alone. A profile already gone is not an error.
func (p *Provider) Delete(ctx context.Context, nc *awsv1.EC2NodeClass) error {
	if nc.Spec.InstanceProfile != nil || nc.Spec.Role == "" {
		return nil
	}
	name := p.Name(nc.Name)
	p.forget(name)
	profile, err := p.get(ctx, name)
	switch {
	case isNoSuchEntity(err):
		return nil
	case err != nil:
		return fmt.Errorf("getting instance profile %s: %w", name, err)
	}
	// IAM refuses to delete a profile that still holds a role.
	for _, r := range profile.Roles {
		if err := p.removeRole(ctx, name, aws.ToString(r.RoleName)); err != nil {
			return err
		}
	}
	if _, err := p.iam.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)}); err != nil && !isNoSuchEntity(err) {
		return fmt.Errorf("deleting instance profile %s: %w", name, err)
	}
	return nil
}

func (p *Provider) get(ctx context.Context, name string) (*iamtypes.InstanceProfile, error) {
	out, err := p.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	if out.InstanceProfile == nil {
		return nil, fmt.Errorf("IAM answered without an instance profile for %s", name)
	}
	return out.InstanceProfile, nil
}

func (p *Provider) removeRole(ctx context.Context, profile, role string) error {
	_, err := p.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
		InstanceProfileName: aws.String(profile), RoleName: aws.String(role),
	})
	if err != nil && !isNoSuchEntity(err) {
		return fmt.Errorf("removing role %s from instance profile %s: %w", role, profile, err)
	}
	return nil
}

func (p *Provider) fresh(name, role string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.verified[name]
	return ok && v.role == role && p.clock.Since(v.at) < CacheTTL
}

func (p *Provider) remember(name, role string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.verified[name] = verification{role: role, at: p.clock.Now()}
}

func (p *Provider) forget(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.verified, name)
}

func isNoSuchEntity(err error) bool { return hasCode(err, "NoSuchEntity") }

func hasCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}
