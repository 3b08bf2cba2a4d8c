package iampolicy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

//go:embed policy.json.tmpl
var policyTemplate string

// Params fill in the policy for one cluster.
type Params struct {
	// Partition is aws, aws-cn or aws-us-gov; aws when empty.
	Partition string
	// AccountID is the 12-digit account the cluster runs in.
	AccountID string
	// Region the controller works in, such as us-east-1.
	Region string
	// ClusterName is the controller's --cluster-name.
	ClusterName string
	// NodeRoleARN is the role nodes run as, which the controller passes to EC2; every role of the account when
	// empty (still only to EC2).
	NodeRoleARN string
}

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	clusterPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
)

// Validate reports every bad parameter at once, each naming its field.
func (p Params) Validate() error {
	var errs []error
	switch p.Partition {
	case "", "aws", "aws-cn", "aws-us-gov":
	default:
		errs = append(errs, fmt.Errorf("partition %q: must be aws, aws-cn or aws-us-gov", p.Partition))
	}
	if !accountPattern.MatchString(p.AccountID) {
		errs = append(errs, fmt.Errorf("account ID %q: must be 12 digits", p.AccountID))
	}
	if !regionPattern.MatchString(p.Region) {
		errs = append(errs, fmt.Errorf("region %q: must be a region name such as us-east-1", p.Region))
	}
	if !clusterPattern.MatchString(p.ClusterName) {
		errs = append(errs, fmt.Errorf("cluster name %q: must be 1-100 letters, digits, '-' or '_', starting with a letter or digit", p.ClusterName))
	}
	if p.NodeRoleARN != "" && !strings.HasPrefix(p.NodeRoleARN, "arn:") {
		errs = append(errs, fmt.Errorf("node role ARN %q: must be a role ARN such as arn:aws:iam::111122223333:role/StevedoreNodeRole", p.NodeRoleARN))
	}
	return errors.Join(errs...)
}

// Render returns the policy document, indented JSON.
func Render(p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if p.Partition == "" {
		p.Partition = "aws"
	}
	if p.NodeRoleARN == "" {
		p.NodeRoleARN = fmt.Sprintf("arn:%s:iam::%s:role/*", p.Partition, p.AccountID)
	}
	t, err := template.New("policy").Option("missingkey=error").Parse(policyTemplate)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		return "", err
	}
	var doc any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		return "", fmt.Errorf("rendered policy is not JSON: %w", err)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	return string(out) + "\n", nil
}

// Document is the parsed shape of a policy, enough to check which actions it allows.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement.
type Statement struct {
	Sid       string          `json:"Sid"`
	Effect    string          `json:"Effect"`
	Action    stringOrList    `json:"Action"`
	Resource  stringOrList    `json:"Resource"`
	Condition json.RawMessage `json:"Condition,omitempty"`
}

// stringOrList is a policy field that may be one string or a list of them.
type stringOrList []string

// UnmarshalJSON accepts either form.
func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Actions returns every action the document allows, such as ec2:CreateFleet.
func (d Document) Actions() map[string]bool {
	out := map[string]bool{}
	for _, s := range d.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			out[a] = true
		}
	}
	return out
}
