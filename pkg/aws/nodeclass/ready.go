package nodeclass

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/apis/conditions"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// Ready returns nil when nc may be launched from, and otherwise a cloudprovider.NodeClassNotReadyError carrying
// the messages of the conditions that are not True, so the launcher can tell the user what to fix.
//
// A class whose spec changed since it was last resolved is not Ready either: its status may still describe the
// old selectors.
func Ready(nc *awsv1.EC2NodeClass) error {
	set := nc.Conditions()
	if set.IsTrue(conditions.Ready) && set.Root().ObservedGeneration == nc.Generation {
		return nil
	}
	var problems []string
	for _, t := range []string{
		awsv1.ConditionTypeValidationSucceeded,
		awsv1.ConditionTypeSubnetsReady,
		awsv1.ConditionTypeSecurityGroupsReady,
		awsv1.ConditionTypeAMIsReady,
		awsv1.ConditionTypeInstanceProfileReady,
	} {
		switch c := set.Get(t); {
		case c == nil:
			problems = append(problems, t+" has not been reported yet")
		case c.Status != metav1.ConditionTrue && c.Message != "":
			problems = append(problems, fmt.Sprintf("%s is %s (%s): %s", t, c.Status, c.Reason, c.Message))
		case c.Status != metav1.ConditionTrue:
			problems = append(problems, fmt.Sprintf("%s is %s (%s)", t, c.Status, c.Reason))
		}
	}
	if len(problems) == 0 {
		problems = append(problems, "the spec changed and has not been resolved yet")
	}
	return cloudprovider.NewNodeClassNotReadyError(fmt.Errorf("ec2nodeclass %s: %s", nc.Name, strings.Join(problems, "; ")))
}
