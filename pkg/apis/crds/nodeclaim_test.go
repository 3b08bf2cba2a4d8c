package crds_test

import (
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestNodeClaimValidation(t *testing.T) {
	runCELCases(t, test.NodeClaim("default", "default"), []celCase{
		{name: "claim as the provisioner writes it", patch: `{"spec":{
			"resources":{"requests":{"cpu":"3500m","memory":"12Gi","pods":"20"}},
			"taints":[{"key":"example.com/dedicated","value":"gpu","effect":"NoSchedule"}],
			"startupTaints":[{"key":"node.cilium.io/agent-not-ready","effect":"NoExecute"}],
			"expireAfter":"720h","terminationGracePeriod":"1h"}}`},
		{name: "requirement operator needs values", patch: `{"spec":{"requirements":[{"key":"node.kubernetes.io/instance-type","operator":"In"}]}}`,
			reject: []string{"spec.requirements[0].values", "operators In and NotIn need at least one value"}},
		{name: "requirements are required", patch: `{"spec":{"requirements":null}}`,
			reject: []string{"spec.requirements", "Required value"}},
		{name: "taint effect", patch: `{"spec":{"taints":[{"key":"a","effect":"Soon"}]}}`,
			reject: []string{"spec.taints[0].effect", "supported values"}},
		{name: "taint key", patch: `{"spec":{"taints":[{"key":"-bad-","effect":"NoSchedule"}]}}`,
			reject: []string{"spec.taints[0].key", "taint key must be a qualified name"}},
		{name: "taint value", patch: `{"spec":{"taints":[{"key":"a","value":"not ok","effect":"NoSchedule"}]}}`,
			reject: []string{"spec.taints[0].value", "taint value must be at most 63"}},
		{name: "startup taint key", patch: `{"spec":{"startupTaints":[{"key":"","effect":"NoSchedule"}]}}`,
			reject: []string{"spec.startupTaints[0].key"}},
		{name: "nodeClassRef group", patch: `{"spec":{"nodeClassRef":{"group":"karpenter.k8s.aws"}}}`,
			reject: []string{"spec.nodeClassRef.group", "group must be aws.stevedore.dev"}},
		{name: "expireAfter", patch: `{"spec":{"expireAfter":"1w"}}`,
			reject: []string{"spec.expireAfter", "or 'Never'"}},
		{name: "terminationGracePeriod", patch: `{"spec":{"terminationGracePeriod":"-5m"}}`,
			reject: []string{"spec.terminationGracePeriod", "whole seconds, minutes or hours"}},
	})
}

func TestNodeClaimSpecIsImmutable(t *testing.T) {
	runUpdateCases(t, test.NodeClaim("default", "default"), []celCase{
		{name: "labels may change", patch: `{"metadata":{"labels":{"example.com/owner":"me"}}}`},
		{name: "requirements cannot change", patch: `{"spec":{"requirements":[{"key":"node.kubernetes.io/instance-type","operator":"In","values":["m5.xlarge"]}]}}`,
			reject: []string{"spec", "spec is immutable; delete the NodeClaim"}},
		{name: "taints cannot change", patch: `{"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}}`,
			reject: []string{"spec", "spec is immutable"}},
	})
}
