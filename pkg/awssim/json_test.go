package awssim_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	pricingtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/stevedore-dev/stevedore/pkg/awssim"
)

// post sends body to the simulator of e at path with the given headers and returns the status and the decoded
// JSON answer.
func post(t *testing.T, e env, path, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: answer is not JSON: %v", path, err)
	}
	return resp.StatusCode, out
}

func TestJSONUnknownOperation(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	for _, target := range []string{"AmazonSSM.DeleteParameter", "AmazonDynamoDB.GetItem"} {
		status, body := post(t, e, "/", "{}", map[string]string{"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
		if status != http.StatusBadRequest || body["__type"] != "UnknownOperationException" {
			t.Errorf("%s: %d %v, want 400 UnknownOperationException", target, status, body)
		}
	}
}

func TestServicesAreThrottled(t *testing.T) {
	t.Parallel()
	const bottlerocket = "/aws/service/bottlerocket/aws-k8s-1.37/x86_64/latest/image_id"
	t.Run("surfaces each service's throttling error without retries", func(t *testing.T) {
		t.Parallel()
		e := setup(t, awssim.Options{ThrottleEveryNth: 1}, 1)
		_, err := ssmClient(t, e, 1).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(bottlerocket)})
		if te := (*ssmtypes.ThrottlingException)(nil); !errors.As(err, &te) {
			t.Errorf("SSM: %v, want *ssmtypes.ThrottlingException", err)
		}
		_, err = pricingClient(t, e, 1).GetProducts(t.Context(), &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2")})
		if te := (*pricingtypes.ThrottlingException)(nil); !errors.As(err, &te) {
			t.Errorf("Pricing: %v, want *pricingtypes.ThrottlingException", err)
		}
		_, err = iamClient(t, e, 1).ListInstanceProfiles(t.Context(), &iam.ListInstanceProfilesInput{})
		if got, want := errorCode(err), "Throttling"; got != want {
			t.Errorf("IAM: error code %q (%v), want %q", got, err, want)
		}
	})
	t.Run("the retryer recovers", func(t *testing.T) {
		t.Parallel()
		e := setup(t, awssim.Options{ThrottleEveryNth: 2}, 3)
		s, p, i := ssmClient(t, e, 3), pricingClient(t, e, 3), iamClient(t, e, 3)
		for n := range 3 {
			if _, err := s.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(bottlerocket)}); err != nil {
				t.Errorf("SSM call %d: %v; want the retryer to recover", n, err)
			}
			if _, err := p.GetProducts(t.Context(), &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), MaxResults: aws.Int32(1)}); err != nil {
				t.Errorf("Pricing call %d: %v; want the retryer to recover", n, err)
			}
			if _, err := i.ListInstanceProfiles(t.Context(), &iam.ListInstanceProfilesInput{}); err != nil {
				t.Errorf("IAM call %d: %v; want the retryer to recover", n, err)
			}
		}
	})
}

func TestAdminParameterAndRole(t *testing.T) {
	t.Parallel()
	e := setup(t, awssim.Options{}, 1)
	status, body := post(t, e, "/admin/parameter", `{"name":"/custom/ami","value":"ami-0123456789abcdef0"}`, nil)
	if status != http.StatusOK || body["version"] != 1.0 {
		t.Errorf("POST /admin/parameter: %d %v, want 200 with version 1", status, body)
	}
	if p := parameter(t, ssmClient(t, e, 1), "/custom/ami"); aws.ToString(p.Value) != "ami-0123456789abcdef0" {
		t.Errorf("parameter set through the admin API = %s", aws.ToString(p.Value))
	}
	if status, body := post(t, e, "/admin/parameter", `{"name":"/custom/ami"}`, nil); status != http.StatusBadRequest {
		t.Errorf("POST /admin/parameter without a value: %d %v, want 400", status, body)
	}

	if status, body := post(t, e, "/admin/role", `{"name":"CustomNodeRole"}`, nil); status != http.StatusOK ||
		body["arn"] != "arn:aws:iam::123456789012:role/CustomNodeRole" {
		t.Errorf("POST /admin/role: %d %v, want 200 with the role's ARN", status, body)
	}
	c := iamClient(t, e, 1)
	if _, err := c.CreateInstanceProfile(t.Context(), &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("custom")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRoleToInstanceProfile(t.Context(), &iam.AddRoleToInstanceProfileInput{
		InstanceProfileName: aws.String("custom"), RoleName: aws.String("CustomNodeRole"),
	}); err != nil {
		t.Errorf("adding the role created through the admin API: %v", err)
	}

	resp, err := http.Get(e.url + "/admin/parameter")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /admin/parameter: %d, want 405", resp.StatusCode)
	}
}
