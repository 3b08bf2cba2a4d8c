package nodeclass

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instanceprofile"
)

// resolve runs every part of the class's status, each setting its own fields and condition, and returns the
// AWS errors they met. A part that fails keeps its previous status, so a brief AWS outage does not make a
// working class unusable; the error is returned for controller-runtime's backoff.
func (c *Controller) resolve(ctx context.Context, nc *awsv1.EC2NodeClass) error {
	validate(nc)
	return errors.Join(
		c.resolveSubnets(ctx, nc),
		c.resolveSecurityGroups(ctx, nc),
		c.resolveAMIs(ctx, nc),
		c.resolveInstanceProfile(ctx, nc),
	)
}

func (c *Controller) resolveSubnets(ctx context.Context, nc *awsv1.EC2NodeClass) error {
	subnets, err := c.Network.Subnets(ctx, nc)
	if err != nil {
		return fmt.Errorf("resolving subnets: %w", err)
	}
	if len(subnets) == 0 {
		nc.Status.Subnets = nil
		nc.Conditions().SetFalse(awsv1.ConditionTypeSubnetsReady, awsv1.ReasonSubnetsNotFound,
			"no available subnet matches spec.subnetSelectorTerms; check the tags (values are case-sensitive, '*' matches any) "+
				"or IDs in the terms against the subnets of this region")
		return nil
	}
	nc.Status.Subnets = make([]awsv1.Subnet, 0, len(subnets))
	for _, s := range subnets {
		nc.Status.Subnets = append(nc.Status.Subnets, s.Status())
	}
	nc.Conditions().SetTrue(awsv1.ConditionTypeSubnetsReady)
	return nil
}

func (c *Controller) resolveSecurityGroups(ctx context.Context, nc *awsv1.EC2NodeClass) error {
	groups, err := c.Network.SecurityGroups(ctx, nc)
	if err != nil {
		return fmt.Errorf("resolving security groups: %w", err)
	}
	if len(groups) == 0 {
		nc.Status.SecurityGroups = nil
		nc.Conditions().SetFalse(awsv1.ConditionTypeSecurityGroupsReady, awsv1.ReasonSecurityGroupsNotFound,
			"no security group matches spec.securityGroupSelectorTerms; check the tags (values are case-sensitive, '*' matches any), "+
				"IDs or names in the terms against the security groups of this region")
		return nil
	}
	nc.Status.SecurityGroups = groups
	nc.Conditions().SetTrue(awsv1.ConditionTypeSecurityGroupsReady)
	return nil
}

func (c *Controller) resolveAMIs(ctx context.Context, nc *awsv1.EC2NodeClass) error {
	version, err := c.KubernetesVersion(ctx)
	if err != nil {
		return fmt.Errorf("finding the cluster's kubernetes version: %w", err)
	}
	amis, err := c.AMIs.Resolve(ctx, nc, version)
	if err != nil {
		return fmt.Errorf("resolving amis for kubernetes %s: %w", version, err)
	}
	if len(amis) == 0 {
		nc.Status.AMIs = nil
		nc.Conditions().SetFalse(awsv1.ConditionTypeAMIsReady, awsv1.ReasonAMIsNotFound, fmt.Sprintf(
			"no image matches spec.amiSelectorTerms for Kubernetes %s; check that the alias version exists for this "+
				"Kubernetes version, or the IDs, names, owners, tags or SSM parameter in the terms", version))
		return nil
	}
	nc.Status.AMIs = amis
	nc.Conditions().SetTrue(awsv1.ConditionTypeAMIsReady)
	return nil
}

func (c *Controller) resolveInstanceProfile(ctx context.Context, nc *awsv1.EC2NodeClass) error {
	name, err := c.InstanceProfiles.Ensure(ctx, nc)
	var missing *instanceprofile.NotFoundError
	switch {
	case errors.As(err, &missing) && missing.Field == "spec.role":
		nc.Status.InstanceProfile = ""
		nc.Conditions().SetFalse(awsv1.ConditionTypeInstanceProfileReady, awsv1.ReasonRoleNotFound, fmt.Sprintf(
			"IAM role %q named by spec.role does not exist; create it (with the node policies) or correct spec.role", missing.Name))
		return nil
	case errors.As(err, &missing):
		nc.Status.InstanceProfile = ""
		nc.Conditions().SetFalse(awsv1.ConditionTypeInstanceProfileReady, awsv1.ReasonInstanceProfileNotFound, fmt.Sprintf(
			"IAM instance profile %q named by spec.instanceProfile does not exist; create it or correct spec.instanceProfile", missing.Name))
		return nil
	case err != nil:
		return fmt.Errorf("ensuring instance profile: %w", err)
	}
	nc.Status.InstanceProfile = name
	nc.Conditions().SetTrue(awsv1.ConditionTypeInstanceProfileReady)
	return nil
}

// validate checks combinations of fields that CEL cannot (or, for classes stored before a rule existed, did
// not) reject, and that would make every launch fail or produce nodes that never join.
func validate(nc *awsv1.EC2NodeClass) {
	alias := aliasFamily(nc)
	family := alias
	if nc.Spec.AMIFamily != nil {
		family = *nc.Spec.AMIFamily
	}
	switch {
	case alias != "" && nc.Spec.AMIFamily != nil:
		nc.Conditions().SetFalse(awsv1.ConditionTypeValidationSucceeded, awsv1.ReasonAliasWithAMIFamily,
			"spec.amiFamily must be omitted when spec.amiSelectorTerms uses an alias, which already names the family; remove spec.amiFamily")
	case family == awsv1.AMIFamilyBottlerocket && nc.Spec.UserData != nil:
		nc.Conditions().SetFalse(awsv1.ConditionTypeValidationSucceeded, awsv1.ReasonUserDataNotSupported,
			"spec.userData cannot be used with the Bottlerocket family: merging it into the generated Bottlerocket settings is not "+
				"supported; remove spec.userData and express the settings through the EC2NodeClass (kubelet, blockDeviceMappings)")
	case family == awsv1.AMIFamilyCustom && (nc.Spec.UserData == nil || strings.TrimSpace(*nc.Spec.UserData) == ""):
		nc.Conditions().SetFalse(awsv1.ConditionTypeValidationSucceeded, awsv1.ReasonCustomWithoutUserData,
			"amiFamily Custom boots with spec.userData as is, and it is empty, so nodes would never join the cluster; set "+
				"spec.userData, or use amiFamily AL2023 or Bottlerocket so Stevedore generates it")
	default:
		nc.Conditions().SetTrue(awsv1.ConditionTypeValidationSucceeded)
	}
}

// aliasFamily is the AMI family an alias term names ("" without an alias).
func aliasFamily(nc *awsv1.EC2NodeClass) string {
	for _, t := range nc.Spec.AMISelectorTerms {
		switch family, _, _ := strings.Cut(t.Alias, "@"); family {
		case "al2023":
			return awsv1.AMIFamilyAL2023
		case "bottlerocket":
			return awsv1.AMIFamilyBottlerocket
		}
	}
	return ""
}
