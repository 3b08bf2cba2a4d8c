package launchtemplate_test

import (
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/launchtemplate"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

func TestConcurrentEnsuresCreateOnce(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{})
	nc := nodeClass("default", nil)
	names := make([]string, 20)
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() { names[i], errs[i] = p.Ensure(t.Context(), spec(nc, 29)) })
	}
	wg.Wait()
	for i := range names {
		if errs[i] != nil || names[i] != names[0] {
			t.Errorf("Ensure %d = %q, %v; want %q like the first", i, names[i], errs[i], names[0])
		}
	}
	if got := e.count("CreateLaunchTemplate"); got != 1 {
		t.Errorf("%d CreateLaunchTemplate calls for one spec; want 1", got)
	}
	if got := e.names(t); len(got) != 1 || got[0] != names[0] {
		t.Errorf("templates in EC2 %v; want only %s", got, names[0])
	}
	// Later calls are answered from memory.
	before := e.count("DescribeLaunchTemplates")
	if _, err := p.Ensure(t.Context(), spec(nc, 29)); err != nil || e.count("DescribeLaunchTemplates") != before {
		t.Errorf("a known template cost %d DescribeLaunchTemplates calls (error %v); want none", e.count("DescribeLaunchTemplates")-before, err)
	}
}

func TestRestartReusesTemplates(t *testing.T) {
	e := start(t)
	nc := nodeClass("default", nil)
	first, err := e.provider(launchtemplate.Options{}).Ensure(t.Context(), spec(nc, 29))
	if err != nil {
		t.Fatal(err)
	}
	// A new provider is a restarted controller: same inputs, same name, found rather than made.
	again, err := e.provider(launchtemplate.Options{}).Ensure(t.Context(), spec(nodeClass("default", nil), 29))
	if err != nil || again != first {
		t.Fatalf("after restart Ensure = %q, %v; want %q", again, err, first)
	}
	if got := e.count("CreateLaunchTemplate"); got != 1 {
		t.Errorf("%d CreateLaunchTemplate calls across a restart; want 1", got)
	}
}

func TestDistinctInputsDistinctTemplates(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{})
	base := spec(nodeClass("default", nil), 29)
	otherImage := spec(nodeClass("default", nil), 29)
	otherImage.ImageID = "ami-0fedcba9876543210"
	otherClass := spec(nodeClass("gpu", nil), 29)
	spot := spec(nodeClass("default", nil), 29)
	spot.Node.Labels = map[string]string{"stevedore.dev/capacity-type": "spot"}
	seen := map[string]string{}
	for _, tc := range []struct {
		name string
		spec launchtemplate.Spec
	}{
		{"base", base}, {"more max pods", spec(nodeClass("default", nil), 58)}, {"other image", otherImage},
		{"other node class", otherClass}, {"spot", spot},
	} {
		name, err := p.Ensure(t.Context(), tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if prev, ok := seen[name]; ok {
			t.Errorf("%s and %s share template %s; want one each", prev, tc.name, name)
		}
		seen[name] = tc.name
	}
	if got := len(e.names(t)); got != len(seen) {
		t.Errorf("%d templates in EC2; want %d", got, len(seen))
	}
	if _, ud := e.version(t, firstKey(seen, "more max pods")); !strings.Contains(ud, "maxPods: 58") {
		t.Errorf("the 58-pod template's user data lacks maxPods: 58:\n%s", ud)
	}
}

func firstKey(m map[string]string, value string) string {
	for k, v := range m {
		if v == value {
			return k
		}
	}
	return ""
}

func TestLosingACreateRaceUsesTheWinner(t *testing.T) {
	e := start(t)
	// Another controller creates the template between this one's describe and create.
	var once sync.Once
	e.after = func(action string, form url.Values) {
		if name := form.Get("LaunchTemplateName.1"); action == "DescribeLaunchTemplates" && name != "" {
			once.Do(func() {
				_, err := e.client.CreateLaunchTemplate(t.Context(), &ec2.CreateLaunchTemplateInput{
					LaunchTemplateName: aws.String(name), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image)},
				})
				if err != nil {
					t.Errorf("racing create: %v", err)
				}
			})
		}
	}
	name, err := e.provider(launchtemplate.Options{}).Ensure(t.Context(), spec(nodeClass("default", nil), 29))
	if err != nil || !namePattern.MatchString(name) {
		t.Fatalf("Ensure = %q, %v; want the name the race winner used", name, err)
	}
	if got := e.count("CreateLaunchTemplate"); got != 2 {
		t.Errorf("%d CreateLaunchTemplate calls; want the winner's and the loser's", got)
	}
}

func TestUserDataErrors(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{})
	big := "#!/bin/bash\n" + strings.Repeat("# padding\n", 2000)
	for _, tc := range []struct {
		name, family, userData, want string
	}{
		{"AL2023 over 16KB", awsv1.AMIFamilyAL2023, big, "more than the 16384 EC2 accepts"},
		{"Custom over 16KB", awsv1.AMIFamilyCustom, big, "more than the 16384 EC2 accepts"},
		{"Bottlerocket with its own user data", awsv1.AMIFamilyBottlerocket, "[settings]\n", "not supported with Bottlerocket"},
	} {
		s := spec(nodeClass("broken", func(s *awsv1.EC2NodeClassSpec) { s.UserData = aws.String(tc.userData) }), 29)
		s.Family = tc.family
		_, err := p.Ensure(t.Context(), s)
		var ude *launchtemplate.UserDataError
		if !errors.As(err, &ude) || ude.NodeClass != "broken" || !launchtemplate.IsUserDataError(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want a UserDataError for EC2NodeClass broken saying %q", tc.name, err, tc.want)
		}
	}
	if got := e.count("CreateLaunchTemplate"); got != 0 {
		t.Errorf("%d CreateLaunchTemplate calls for unusable user data; want none", got)
	}
}

func TestUnresolvedNodeClassIsNotReady(t *testing.T) {
	e := start(t)
	p := e.provider(launchtemplate.Options{})
	for _, tc := range []struct {
		name string
		edit func(*launchtemplate.Spec)
		want string
	}{
		{"no security groups", func(s *launchtemplate.Spec) { s.NodeClass.Status.SecurityGroups = nil }, "no security groups"},
		{"no instance profile", func(s *launchtemplate.Spec) { s.NodeClass.Status.InstanceProfile = "" }, "no instance profile"},
		{"no image", func(s *launchtemplate.Spec) { s.ImageID = "" }, "no image"},
	} {
		s := spec(nodeClass("pending", nil), 29)
		tc.edit(&s)
		_, err := p.Ensure(t.Context(), s)
		if !cloudprovider.IsNodeClassNotReadyError(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want NodeClassNotReady saying %q", tc.name, err, tc.want)
		}
	}
}
