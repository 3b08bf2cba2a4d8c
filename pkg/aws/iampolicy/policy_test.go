package iampolicy_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/ami"
	"github.com/stevedore-dev/stevedore/pkg/aws/iampolicy"
	"github.com/stevedore-dev/stevedore/pkg/aws/instance"
	"github.com/stevedore-dev/stevedore/pkg/aws/instanceprofile"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/launchtemplate"
	"github.com/stevedore-dev/stevedore/pkg/aws/network"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
)

// callable are the narrow SDK interfaces of the provider's packages, by IAM service prefix: every AWS operation
// the controller can call is a method of one of them. A package that gains an interface must be added here.
var callable = map[string][]reflect.Type{
	"ec2": {
		reflect.TypeFor[instance.EC2API](),
		reflect.TypeFor[launchtemplate.EC2API](),
		reflect.TypeFor[network.EC2API](),
		reflect.TypeFor[ami.EC2API](),
		reflect.TypeFor[instancetype.EC2API](),
		reflect.TypeFor[pricing.EC2API](),
	},
	"ssm":     {reflect.TypeFor[ami.SSMAPI]()},
	"pricing": {reflect.TypeFor[pricing.PricingAPI]()},
	"iam":     {reflect.TypeFor[instanceprofile.IAMAPI]()},
}

// implied are permissions AWS checks for calls the code makes, beyond the calls' own actions.
var implied = map[string]string{
	"ec2:RunInstances":       "CreateFleet launches through RunInstances, which IAM authorises separately",
	"iam:PassRole":           "launching with an instance profile passes its role to EC2",
	"iam:TagInstanceProfile": "CreateInstanceProfile with tags",
}

func render(t *testing.T) iampolicy.Document {
	t.Helper()
	out, err := iampolicy.Render(iampolicy.Params{AccountID: "111122223333", Region: "eu-west-1", ClusterName: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	var doc iampolicy.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func calledActions() map[string]bool {
	out := map[string]bool{}
	for service, types := range callable {
		for _, typ := range types {
			for i := range typ.NumMethod() {
				out[service+":"+typ.Method(i).Name] = true
			}
		}
	}
	return out
}

func TestPolicyAllowsEveryCallTheProviderMakes(t *testing.T) {
	allowed := render(t).Actions()
	for action := range calledActions() {
		if !allowed[action] {
			t.Errorf("the provider can call %s but the IAM policy does not allow it: add it to policy.json.tmpl", action)
		}
	}
	for action, why := range implied {
		if !allowed[action] {
			t.Errorf("the IAM policy lacks %s (%s)", action, why)
		}
	}
}

func TestPolicyGrantsNothingUnused(t *testing.T) {
	called := calledActions()
	for action := range render(t).Actions() {
		if !called[action] && implied[action] == "" {
			t.Errorf("the IAM policy allows %s, which no provider interface calls: remove it, or say in implied why it is needed", action)
		}
	}
}

func TestMutationsAreScopedToTheCluster(t *testing.T) {
	for _, s := range render(t).Statement {
		mutates := slices.ContainsFunc(s.Action, func(a string) bool {
			_, op, _ := strings.Cut(a, ":")
			return !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get") && a != "ec2:RunInstances" && a != "ec2:CreateFleet"
		})
		if !mutates {
			continue
		}
		scoped := strings.Contains(string(s.Condition), `"prod"`) || slices.ContainsFunc(s.Resource, func(r string) bool { return strings.Contains(r, "stevedore_prod_") })
		if s.Sid == "PassNodeRole" {
			scoped = strings.Contains(string(s.Condition), "ec2.amazonaws.com")
		}
		if !scoped {
			t.Errorf("statement %s allows %v on %v without scoping it to the cluster's own resources", s.Sid, s.Action, s.Resource)
		}
	}
}

func TestRenderRejectsBadParameters(t *testing.T) {
	_, err := iampolicy.Render(iampolicy.Params{Partition: "aws-moon", AccountID: "12345", Region: "Europe", ClusterName: "has space", NodeRoleARN: "role/x"})
	if err == nil {
		t.Fatal("bad parameters rendered a policy")
	}
	for _, want := range []string{"partition", "account ID", "region", "cluster name", "node role ARN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	out, err := iampolicy.Render(iampolicy.Params{Partition: "aws-cn", AccountID: "111122223333", Region: "cn-north-1", ClusterName: "c1",
		NodeRoleARN: "arn:aws-cn:iam::111122223333:role/Nodes"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "arn:aws-cn:ec2:cn-north-1:") || !strings.Contains(out, `"arn:aws-cn:iam::111122223333:role/Nodes"`) || strings.Contains(out, "arn:aws:") {
		t.Errorf("the policy is not rendered for the partition, region and role given:\n%s", out)
	}
}
