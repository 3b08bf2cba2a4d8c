package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stevedore-dev/stevedore/pkg/aws/iampolicy"
)

func newIAMPolicyCommand() *cobra.Command {
	var p iampolicy.Params
	cmd := &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the IAM policy the controller needs for one cluster",
		Long: `Print the IAM policy document the Stevedore controller's role needs, scoped to one cluster:
it may launch, tag and terminate only resources tagged stevedore.dev/cluster=<cluster-name>,
read EC2, the public EKS image parameters and prices, pass the node role to EC2, and manage
the instance profiles it creates (named stevedore_<cluster-name>_*).`,
		Example: `  stevedore iam-policy --account-id 111122223333 --region us-east-1 --cluster-name prod \
    --node-role-arn arn:aws:iam::111122223333:role/StevedoreNodeRole-prod > policy.json
  aws iam create-policy --policy-name StevedoreController-prod --policy-document file://policy.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := p.Validate(); err != nil {
				return usageError{fmt.Errorf("%w\nrun 'stevedore iam-policy --help' for the flags", err)}
			}
			doc, err := iampolicy.Render(p)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), doc)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.AccountID, "account-id", "", "12-digit AWS account the cluster runs in (required)")
	f.StringVar(&p.Region, "region", "", "AWS region the controller works in, such as us-east-1 (required)")
	f.StringVar(&p.ClusterName, "cluster-name", "", "the controller's --cluster-name (required)")
	f.StringVar(&p.Partition, "partition", "aws", "AWS partition: aws, aws-cn or aws-us-gov")
	f.StringVar(&p.NodeRoleARN, "node-role-arn", "", "ARN of the role nodes run as; empty allows passing any role of the account to EC2")
	return cmd
}
