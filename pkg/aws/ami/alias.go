package ami

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

// Alias families, as spelled before the @ of an alias.
const (
	aliasAL2023       = "al2023"
	aliasBottlerocket = "bottlerocket"
)

// latest is the alias version that follows the newest release.
const latest = "latest"

// aliasParameter is one SSM parameter an alias reads, and what an instance must have to boot its image beyond
// the image's architecture.
type aliasParameter struct {
	path  string
	extra []corev1.NodeSelectorRequirement
}

// parseAlias splits al2023@latest into its family and version.
func parseAlias(alias string) (family, version string, err error) {
	family, version, ok := strings.Cut(alias, "@")
	if !ok || version == "" {
		return "", "", fmt.Errorf("alias %q is not <family>@<version>", alias)
	}
	if family != aliasAL2023 && family != aliasBottlerocket {
		return "", "", fmt.Errorf("alias %q names an unknown family %q; use al2023 or bottlerocket", alias, family)
	}
	return family, version, nil
}

// aliasParameters lists the public SSM parameters holding an alias's image IDs for a Kubernetes version: one per
// architecture, and for Amazon Linux 2023 one per variant, since the NVIDIA variant carries GPU drivers the
// standard one lacks.
func aliasParameters(family, version, kubernetesVersion string) []aliasParameter {
	var out []aliasParameter
	// The architectures EKS and Bottlerocket publish images for, as the parameter paths spell them.
	for _, arch := range []string{"x86_64", "arm64"} {
		if family == aliasBottlerocket {
			release := latest
			if version != latest {
				release = strings.TrimPrefix(version, "v")
			}
			out = append(out, aliasParameter{
				path: fmt.Sprintf("/aws/service/bottlerocket/aws-k8s-%s/%s/%s/image_id", kubernetesVersion, arch, release),
			})
			continue
		}
		for _, variant := range []string{"standard", "nvidia"} {
			release := "recommended"
			if version != latest {
				release = fmt.Sprintf("amazon-eks-node-al2023-%s-%s-%s-%s", arch, variant, kubernetesVersion, version)
			}
			out = append(out, aliasParameter{
				path: fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/%s/%s/%s/image_id",
					kubernetesVersion, arch, variant, release),
				extra: variantRequirements(variant),
			})
		}
	}
	return out
}

// variantRequirements keep GPU instances on the NVIDIA image, whose drivers they need, and every other instance
// on the standard image, which is smaller and boots faster.
func variantRequirements(variant string) []corev1.NodeSelectorRequirement {
	if variant == "nvidia" {
		return []corev1.NodeSelectorRequirement{
			{Key: awsv1.LabelInstanceGPUCount, Operator: corev1.NodeSelectorOpExists},
			{Key: awsv1.LabelInstanceGPUManufacturer, Operator: corev1.NodeSelectorOpIn, Values: []string{"nvidia"}},
		}
	}
	return []corev1.NodeSelectorRequirement{{Key: awsv1.LabelInstanceGPUCount, Operator: corev1.NodeSelectorOpDoesNotExist}}
}

// resolveAlias reads an alias's SSM parameters and describes the images they name. A parameter that does not
// exist is skipped (not every release has every variant), but an alias none of whose parameters exist is an
// error: the family has no image for this Kubernetes version or release, and the user must change one of them.
func (p *Provider) resolveAlias(ctx context.Context, alias, kubernetesVersion string) ([]candidate, error) {
	family, version, err := parseAlias(alias)
	if err != nil {
		return nil, err
	}
	extra := map[string][]corev1.NodeSelectorRequirement{}
	var ids, missing []string
	for _, param := range aliasParameters(family, version, kubernetesVersion) {
		id, ok, err := p.parameter(ctx, param.path)
		if err != nil {
			return nil, fmt.Errorf("resolving alias %s for Kubernetes %s: %w", alias, kubernetesVersion, err)
		}
		if !ok {
			missing = append(missing, param.path)
			continue
		}
		if _, seen := extra[id]; !seen {
			ids = append(ids, id)
		}
		extra[id] = param.extra
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("resolving alias %s for Kubernetes %s: no image is published for this Kubernetes version "+
			"and release (SSM parameter %s not found)", alias, kubernetesVersion, missing[0])
	}
	found, err := p.describe(ctx, imageIDFilter(ids...), nil)
	if err != nil {
		return nil, fmt.Errorf("resolving alias %s for Kubernetes %s: %w", alias, kubernetesVersion, err)
	}
	for i := range found {
		found[i].ami.Requirements = append(found[i].ami.Requirements, extra[found[i].ami.ID]...)
	}
	return found, nil
}

// parameter reads an SSM parameter holding an image ID, reporting false when it does not exist.
func (p *Provider) parameter(ctx context.Context, name string) (string, bool, error) {
	out, err := p.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if notFound := (*ssmtypes.ParameterNotFound)(nil); errors.As(err, &notFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("getting SSM parameter %s: %w", name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return "", false, nil
	}
	return strings.TrimSpace(aws.ToString(out.Parameter.Value)), true, nil
}
