package nodeclass_test

import (
	"strings"
	"testing"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	"github.com/stevedore-dev/stevedore/pkg/aws/nodeclass"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
	"github.com/stevedore-dev/stevedore/pkg/test"
)

func TestHashFollowsHowInstancesAreBuilt(t *testing.T) {
	base := test.EC2NodeClass(test.WithEC2NodeClassSpec(func(s *awsv1.EC2NodeClassSpec) {
		s.Tags = map[string]string{"team": "web", "env": "prod", "cost-center": "42"}
	}))
	for _, tc := range []struct {
		name    string
		edit    func(*awsv1.EC2NodeClass)
		changes bool
	}{
		{"AMI selector", func(nc *awsv1.EC2NodeClass) {
			nc.Spec.AMISelectorTerms = []awsv1.AMISelectorTerm{{Alias: "al2023@v20251112"}}
		}, true},
		{"a tag value", func(nc *awsv1.EC2NodeClass) { nc.Spec.Tags["team"] = "api" }, true},
		{"security group selector", func(nc *awsv1.EC2NodeClass) {
			nc.Spec.SecurityGroupSelectorTerms = []awsv1.SecurityGroupSelectorTerm{{Name: "nodes"}}
		}, true},
		{"tags written in another order", func(nc *awsv1.EC2NodeClass) {
			nc.Spec.Tags = map[string]string{}
			for _, k := range []string{"cost-center", "env", "team"} {
				nc.Spec.Tags[k] = base.Spec.Tags[k]
			}
		}, false},
		{"status", func(nc *awsv1.EC2NodeClass) {
			nc.Status.AMIs = []awsv1.AMI{{ID: "ami-0123456789abcdef0"}}
			nc.Status.InstanceProfile = "elsewhere"
			nc.Conditions().SetTrue(awsv1.ConditionTypeAMIsReady)
		}, false},
		{"metadata", func(nc *awsv1.EC2NodeClass) {
			nc.Labels = map[string]string{"team": "web"}
			nc.Annotations = map[string]string{awsv1.AnnotationEC2NodeClassHash: "stale"}
			nc.Generation++
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := base.DeepCopy()
			tc.edit(edited)
			if changed := nodeclass.Hash(edited) != nodeclass.Hash(base); changed != tc.changes {
				t.Errorf("changing %s changed the hash: %v, want %v", tc.name, changed, tc.changes)
			}
		})
	}
}

func TestReadyRequiresAResolvedCurrentSpec(t *testing.T) {
	nc := test.EC2NodeClass()
	nc.Generation = 1
	if err := nodeclass.Ready(nc); !cloudprovider.IsNodeClassNotReadyError(err) {
		t.Errorf("Ready(never reconciled) = %v, want a NodeClassNotReadyError", err)
	}
	for _, c := range []string{awsv1.ConditionTypeSubnetsReady, awsv1.ConditionTypeSecurityGroupsReady, awsv1.ConditionTypeAMIsReady,
		awsv1.ConditionTypeInstanceProfileReady, awsv1.ConditionTypeValidationSucceeded} {
		nc.Conditions().SetTrue(c)
	}
	if !nc.Conditions().IsTrue(conditions.Ready) {
		t.Fatalf("conditions did not roll up: %+v", nc.Status.Conditions)
	}
	if err := nodeclass.Ready(nc); err != nil {
		t.Errorf("Ready(all conditions True) = %v", err)
	}
	nc.Generation = 2
	if err := nodeclass.Ready(nc); !cloudprovider.IsNodeClassNotReadyError(err) {
		t.Errorf("Ready(spec changed since resolution) = %v, want a NodeClassNotReadyError", err)
	}
	nc.Conditions().SetFalse(awsv1.ConditionTypeAMIsReady, awsv1.ReasonAMIsNotFound, "no image matches spec.amiSelectorTerms")
	if err := nodeclass.Ready(nc); err == nil || !strings.Contains(err.Error(), "no image matches spec.amiSelectorTerms") {
		t.Errorf("Ready = %v, want the AMIsReady message", err)
	}
}
