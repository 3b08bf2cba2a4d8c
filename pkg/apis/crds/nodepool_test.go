package crds_test

import (
	"context"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/test"
)

// req wraps requirement JSON objects into a NodePool template patch.
func req(items string) string {
	return `{"spec":{"template":{"spec":{"requirements":[` + items + `]}}}}`
}

func TestNodePoolRequirements(t *testing.T) {
	runCELCases(t, test.NodePool("default"), []celCase{
		{name: "well-known and custom keys are accepted", patch: req(`
			{"key":"topology.kubernetes.io/zone","operator":"In","values":["us-west-2a","us-west-2b"]},
			{"key":"stevedore.dev/capacity-type","operator":"In","values":["spot","on-demand"]},
			{"key":"aws.stevedore.dev/instance-category","operator":"In","values":["c","m","r"],"minValues":2},
			{"key":"aws.stevedore.dev/instance-generation","operator":"Gt","values":["5"]},
			{"key":"kubernetes.io/arch","operator":"Exists"},
			{"key":"node.kubernetes.io/lifecycle","operator":"DoesNotExist"},
			{"key":"example.com/team","operator":"NotIn","values":["batch"]}`)},
		{name: "key must be a qualified name", patch: req(`{"key":"bad key!","operator":"Exists"}`),
			reject: []string{"spec.template.spec.requirements[0].key", "key must be a qualified label name"}},
		{name: "In needs values", patch: req(`{"key":"example.com/team","operator":"In"}`),
			reject: []string{"spec.template.spec.requirements[0].values", "operators In and NotIn need at least one value"}},
		{name: "NotIn needs values", patch: req(`{"key":"example.com/team","operator":"NotIn","values":[]}`),
			reject: []string{"spec.template.spec.requirements[0].values", "operators In and NotIn need at least one value"}},
		{name: "Exists takes no values", patch: req(`{"key":"example.com/team","operator":"Exists","values":["a"]}`),
			reject: []string{"spec.template.spec.requirements[0].values", "Exists and DoesNotExist take no values"}},
		{name: "Gt takes one integer", patch: req(`{"key":"aws.stevedore.dev/instance-cpu","operator":"Gt","values":["4","8"]}`),
			reject: []string{"spec.template.spec.requirements[0].values", "Gt and Lt take exactly one value, a non-negative integer"}},
		{name: "Lt value must be an integer", patch: req(`{"key":"aws.stevedore.dev/instance-cpu","operator":"Lt","values":["four"]}`),
			reject: []string{"spec.template.spec.requirements[0].values", "non-negative integer"}},
		{name: "unknown operator", patch: req(`{"key":"example.com/team","operator":"Near","values":["a"]}`),
			reject: []string{"spec.template.spec.requirements[0].operator", "supported values"}},
		{name: "minValues within values", patch: req(`{"key":"aws.stevedore.dev/instance-family","operator":"In","values":["m5","c5"],"minValues":2}`)},
		{name: "minValues above the number of values", patch: req(`{"key":"aws.stevedore.dev/instance-family","operator":"In","values":["m5","c5"],"minValues":3}`),
			reject: []string{"spec.template.spec.requirements[0].minValues", "minValues must not exceed the number of values"}},
		{name: "minValues at least 1", patch: req(`{"key":"aws.stevedore.dev/instance-family","operator":"Exists","minValues":0}`),
			reject: []string{"spec.template.spec.requirements[0].minValues", "should be greater than or equal to 1"}},
		{name: "restricted stevedore.dev key", patch: req(`{"key":"stevedore.dev/nodepool","operator":"In","values":["other"]}`),
			reject: []string{"spec.template.spec.requirements", `requirement key "stevedore.dev/nodepool" is restricted; allowed are the well-known keys`}},
		{name: "restricted kubernetes.io key", patch: req(`{"key":"kubernetes.io/hostname","operator":"In","values":["node-1"]}`),
			reject: []string{"spec.template.spec.requirements", `requirement key "kubernetes.io/hostname" is restricted; allowed are the well-known keys`}},
		{name: "capacity type values with NotIn", patch: req(`{"key":"stevedore.dev/capacity-type","operator":"NotIn","values":["ondemand"]}`),
			reject: []string{"spec.template.spec.requirements[0].values", "stevedore.dev/capacity-type values must be on-demand, spot or reserved"}},
		{name: "node.kubernetes.io keys are allowed", patch: req(`{"key":"node.kubernetes.io/role","operator":"In","values":["web"]}`)},
		{name: "capacity type values", patch: req(`{"key":"stevedore.dev/capacity-type","operator":"In","values":["spot","preemptible"]}`),
			reject: []string{"spec.template.spec.requirements", "stevedore.dev/capacity-type values must be on-demand, spot or reserved"}},
	})
}

func TestNodePoolTemplate(t *testing.T) {
	labels := func(l string) string { return `{"spec":{"template":{"metadata":{"labels":` + l + `}}}}` }
	taints := func(field, items string) string {
		return `{"spec":{"template":{"spec":{"` + field + `":[` + items + `]}}}}`
	}
	runCELCases(t, test.NodePool("default"), []celCase{
		{name: "custom and node.kubernetes.io labels", patch: labels(`{"team":"web","example.com/tier":"gold","node.kubernetes.io/role":"web","node-restriction.kubernetes.io/pci":"true"}`)},
		{name: "label key must be qualified", patch: labels(`{"bad key":"x"}`),
			reject: []string{"spec.template.metadata.labels", `label key "bad key" is not a qualified name`}},
		{name: "label value must be valid", patch: labels(`{"team":"not valid!"}`),
			reject: []string{"spec.template.metadata.labels", "label values must be at most 63"}},
		{name: "stevedore.dev labels are restricted", patch: labels(`{"stevedore.dev/nodepool":"other"}`),
			reject: []string{"spec.template.metadata.labels", `label "stevedore.dev/nodepool" is in a restricted domain`}},
		{name: "kubernetes.io labels are restricted", patch: labels(`{"kubernetes.io/hostname":"x"}`),
			reject: []string{"spec.template.metadata.labels", `label "kubernetes.io/hostname" is in a restricted domain`}},
		{name: "instance-type label comes from the instance", patch: labels(`{"node.kubernetes.io/instance-type":"m5.large"}`),
			reject: []string{"spec.template.metadata.labels", "constrain them in spec.template.spec.requirements"}},
		{name: "taints", patch: taints("taints", `{"key":"example.com/dedicated","value":"gpu","effect":"NoSchedule"},{"key":"example.com/dedicated","effect":"NoExecute"}`)},
		{name: "taint effect", patch: taints("taints", `{"key":"example.com/dedicated","effect":"Sometimes"}`),
			reject: []string{"spec.template.spec.taints[0].effect", `supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`}},
		{name: "taint key", patch: taints("taints", `{"key":"no spaces","effect":"NoSchedule"}`),
			reject: []string{"spec.template.spec.taints", "taint key must be a qualified name"}},
		{name: "duplicate taint", patch: taints("taints", `{"key":"a","value":"1","effect":"NoSchedule"},{"key":"a","value":"2","effect":"NoSchedule"}`),
			reject: []string{"spec.template.spec.taints", "each taint key and effect pair may appear only once"}},
		{name: "startup taints", patch: taints("startupTaints", `{"key":"example.com/agent-not-ready","effect":"NoSchedule"}`)},
		{name: "startup taint effect", patch: taints("startupTaints", `{"key":"a","effect":"Never"}`),
			reject: []string{"spec.template.spec.startupTaints[0].effect", "supported values"}},
		{name: "startup taint key", patch: taints("startupTaints", `{"key":"a b","effect":"NoSchedule"}`),
			reject: []string{"spec.template.spec.startupTaints", "taint key must be a qualified name"}},
		{name: "duplicate startup taint", patch: taints("startupTaints", `{"key":"a","effect":"NoSchedule"},{"key":"a","effect":"NoSchedule"}`),
			reject: []string{"spec.template.spec.startupTaints", "each startup taint key and effect pair may appear only once"}},
		{name: "expireAfter duration", patch: `{"spec":{"template":{"spec":{"expireAfter":"336h"}}}}`},
		{name: "expireAfter Never", patch: `{"spec":{"template":{"spec":{"expireAfter":"Never"}}}}`},
		{name: "expireAfter format", patch: `{"spec":{"template":{"spec":{"expireAfter":"30d"}}}}`,
			reject: []string{"spec.template.spec.expireAfter", "such as 30s, 15m or 720h, or 'Never'"}},
		{name: "terminationGracePeriod", patch: `{"spec":{"template":{"spec":{"terminationGracePeriod":"48h"}}}}`},
		{name: "terminationGracePeriod format", patch: `{"spec":{"template":{"spec":{"terminationGracePeriod":"2 days"}}}}`,
			reject: []string{"spec.template.spec.terminationGracePeriod", "such as 30s, 15m or 48h"}},
		{name: "nodeClassRef group", patch: `{"spec":{"template":{"spec":{"nodeClassRef":{"group":"karpenter.k8s.aws"}}}}}`,
			reject: []string{"spec.template.spec.nodeClassRef.group", "group must be aws.stevedore.dev"}},
		{name: "nodeClassRef kind", patch: `{"spec":{"template":{"spec":{"nodeClassRef":{"kind":"NodeClass"}}}}}`,
			reject: []string{"spec.template.spec.nodeClassRef.kind", "kind must be EC2NodeClass"}},
		{name: "nodeClassRef name", patch: `{"spec":{"template":{"spec":{"nodeClassRef":{"name":""}}}}}`,
			reject: []string{"spec.template.spec.nodeClassRef.name"}},
	})
}

func TestNodePoolDisruption(t *testing.T) {
	budgets := func(items string) string { return `{"spec":{"disruption":{"budgets":[` + items + `]}}}` }
	runCELCases(t, test.NodePool("default"), []celCase{
		{name: "policy WhenEmpty", patch: `{"spec":{"disruption":{"consolidationPolicy":"WhenEmpty","consolidateAfter":"5m"}}}`},
		{name: "unknown policy", patch: `{"spec":{"disruption":{"consolidationPolicy":"Always"}}}`,
			reject: []string{"spec.disruption.consolidationPolicy", `supported values: "WhenEmpty", "WhenEmptyOrUnderutilized"`}},
		{name: "consolidateAfter Never", patch: `{"spec":{"disruption":{"consolidateAfter":"Never"}}}`},
		{name: "consolidateAfter format", patch: `{"spec":{"disruption":{"consolidateAfter":"soon"}}}`,
			reject: []string{"spec.disruption.consolidateAfter", "or 'Never'"}},
		{name: "delete-only consolidation with a savings threshold",
			patch: `{"spec":{"disruption":{"consolidation":{"mode":"DeleteOnly","minSavings":{"perPodPerHour":"0.002","percent":20}}}}}`},
		{name: "unknown consolidation mode", patch: `{"spec":{"disruption":{"consolidation":{"mode":"Never"}}}}`,
			reject: []string{"spec.disruption.consolidation.mode", `supported values: "DeleteOrReplace", "DeleteOnly"`}},
		{name: "empty savings threshold", patch: `{"spec":{"disruption":{"consolidation":{"minSavings":{}}}}}`,
			reject: []string{"spec.disruption.consolidation.minSavings", "minSavings needs perPodPerHour, percent or both"}},
		{name: "savings in dollars", patch: `{"spec":{"disruption":{"consolidation":{"minSavings":{"perPodPerHour":"$1"}}}}}`,
			reject: []string{"spec.disruption.consolidation.minSavings.perPodPerHour", "decimal number of dollars such as '0.002'"}},
		{name: "savings percent above 100", patch: `{"spec":{"disruption":{"consolidation":{"minSavings":{"percent":101}}}}}`,
			reject: []string{"spec.disruption.consolidation.minSavings.percent", "less than or equal to 100"}},
		{name: "budgets", patch: budgets(`
			{"nodes":"10%"},
			{"nodes":"0","reasons":["Drifted","Expired"],"schedule":"0 9 * * mon-fri","duration":"8h","timeZone":"Europe/Berlin"},
			{"nodes":"3","schedule":"@daily","duration":"30m","timeZone":"America/New_York"},
			{"nodes":"100%","schedule":"*/15 0-6 1,15 jan-mar 0","duration":"1h30m"}`)},
		{name: "budget nodes over 100%", patch: budgets(`{"nodes":"110%"}`),
			reject: []string{"spec.disruption.budgets[0].nodes", "nodes must be a whole number such as '5' or a percentage from 0% to 100%"}},
		{name: "budget nodes not a number", patch: budgets(`{"nodes":"ten"}`),
			reject: []string{"spec.disruption.budgets[0].nodes", "nodes must be a whole number"}},
		{name: "schedule without duration", patch: budgets(`{"nodes":"0","schedule":"@daily"}`),
			reject: []string{"spec.disruption.budgets[0]", "schedule and duration go together"}},
		{name: "duration without schedule", patch: budgets(`{"nodes":"0","duration":"1h"}`),
			reject: []string{"spec.disruption.budgets[0]", "schedule and duration go together"}},
		{name: "schedule is not cron", patch: budgets(`{"nodes":"0","schedule":"every day at 9","duration":"1h"}`),
			reject: []string{"spec.disruption.budgets[0].schedule", "schedule must be a cron expression of five fields"}},
		{name: "schedule hour out of range", patch: budgets(`{"nodes":"0","schedule":"0 24 * * *","duration":"1h"}`),
			reject: []string{"spec.disruption.budgets[0].schedule", "hour 0-23"}},
		{name: "schedule with six fields", patch: budgets(`{"nodes":"0","schedule":"0 0 9 * * *","duration":"1h"}`),
			reject: []string{"spec.disruption.budgets[0].schedule", "five fields"}},
		{name: "duration format", patch: budgets(`{"nodes":"0","schedule":"@daily","duration":"1d"}`),
			reject: []string{"spec.disruption.budgets[0].duration", "such as 30m or 8h"}},
		{name: "timeZone without schedule", patch: budgets(`{"nodes":"0","timeZone":"Europe/Berlin"}`),
			reject: []string{"spec.disruption.budgets[0].timeZone", "timeZone applies to schedule"}},
		{name: "unknown timeZone", patch: budgets(`{"nodes":"0","schedule":"@daily","duration":"1h","timeZone":"Mars/Olympus_Mons"}`),
			reject: []string{"spec.disruption.budgets[0].timeZone", "timeZone must be an IANA time zone name"}},
		{name: "timeZone offset is not a zone name", patch: budgets(`{"nodes":"0","schedule":"@daily","duration":"1h","timeZone":"+02:00"}`),
			reject: []string{"spec.disruption.budgets[0].timeZone", "IANA time zone name"}},
		{name: "Local is not a zone name", patch: budgets(`{"nodes":"0","schedule":"@daily","duration":"1h","timeZone":"Local"}`),
			reject: []string{"spec.disruption.budgets[0].timeZone", "IANA time zone name"}},
		{name: "unknown reason", patch: budgets(`{"nodes":"0","reasons":["Bored"]}`),
			reject: []string{"spec.disruption.budgets[0].reasons[0]", `supported values: "Empty", "Underutilized", "Drifted", "Expired"`}},
	})
}

func TestNodePoolLimitsAndWeight(t *testing.T) {
	runCELCases(t, test.NodePool("default"), []celCase{
		{name: "limits", patch: `{"spec":{"limits":{"cpu":"1000","memory":"4Ti","nodes":"50","nvidia.com/gpu":"8"}}}`},
		{name: "negative limit", patch: `{"spec":{"limits":{"cpu":"-1"}}}`,
			reject: []string{"spec.limits", "limits must not be negative"}},
		{name: "weight in range", patch: `{"spec":{"weight":100}}`},
		{name: "weight zero", patch: `{"spec":{"weight":0}}`,
			reject: []string{"spec.weight", "should be greater than or equal to 1"}},
		{name: "weight above 100", patch: `{"spec":{"weight":101}}`,
			reject: []string{"spec.weight", "should be less than or equal to 100"}},
	})
}

func TestNodePoolDefaults(t *testing.T) {
	ctx := test.Context(t)
	np := test.NodePool("defaults")
	np.Spec.Disruption.Budgets = nil
	test.ExpectApplied(ctx, t, env.Client, np)
	t.Cleanup(func() { test.ExpectDeleted(context.WithoutCancel(ctx), t, env.Client, np) })
	if got := np.Spec.Template.Spec.ExpireAfter.String(); got != "720h0m0s" {
		t.Errorf("expireAfter defaulted to %s, want 720h", got)
	}
	if got := np.Spec.Disruption.ConsolidationPolicy; got != "WhenEmptyOrUnderutilized" {
		t.Errorf("consolidationPolicy defaulted to %q, want WhenEmptyOrUnderutilized", got)
	}
	if len(np.Spec.Disruption.Budgets) != 1 || np.Spec.Disruption.Budgets[0].Nodes != "10%" {
		t.Errorf("budgets defaulted to %+v, want one budget of 10%%", np.Spec.Disruption.Budgets)
	}
}

func TestNodePoolUpdates(t *testing.T) {
	runUpdateCases(t, test.NodePool("default"), []celCase{
		{name: "nodeClassRef name may change", patch: `{"spec":{"template":{"spec":{"nodeClassRef":{"name":"other"}}}}}`},
		// group and kind admit one value each, so they can never change (which would orphan the pool's nodes).
		{name: "nodeClassRef group cannot change", patch: `{"spec":{"template":{"spec":{"nodeClassRef":{"group":"example.com"}}}}}`,
			reject: []string{"spec.template.spec.nodeClassRef.group", "group must be aws.stevedore.dev"}},
	})
}
