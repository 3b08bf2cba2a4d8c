package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
	v1 "github.com/stevedore-dev/stevedore/pkg/apis/v1"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype/catalog"
	"github.com/stevedore-dev/stevedore/pkg/aws/pricing"
	"github.com/stevedore-dev/stevedore/pkg/cloudprovider"
)

// catalogOptions are the flags of `stevedore catalog`.
type catalogOptions struct {
	region       string
	zones        []string
	nodeClass    string
	cniMode      string
	maxPods      int32
	requirements string
	sortBy       string
	output       outputFormat
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)

func newCatalogCommand() *cobra.Command {
	o := &catalogOptions{}
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "List EC2 instance types with the capacity, max pods and price Stevedore assumes",
		Long: `List the EC2 instance types Stevedore can launch and what it believes a node of each will offer:
vCPUs, memory, max pods for the node class's CNI mode, allocatable cpu, memory and pods after
kube-reserved, system-reserved and eviction thresholds, and the on-demand price per hour.

The figures come from the catalog built into this binary, computed with the same code the
controller uses, so they show what the solver will pack against. Pass the EC2NodeClass you use
(--nodeclass) to see the effect of its kubelet settings, CNI mode and root volume.`,
		Example: `  # Every type, cheapest first
  stevedore catalog --sort-by price

  # Graviton types of generation 7 or later with at most 8 vCPUs
  stevedore catalog --requirements 'kubernetes.io/arch=arm64,aws.stevedore.dev/instance-generation>6,aws.stevedore.dev/instance-cpu<9'

  # What prefix delegation does to pod density
  stevedore catalog --cni-mode prefix-delegation --requirements 'aws.stevedore.dev/instance-family in (m5,m7i)'

  # Use your node class, print JSON for scripts
  stevedore catalog --nodeclass ec2nodeclass.yaml -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCatalog(cmd.Context(), cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.region, "region", "us-east-1", "AWS region whose on-demand prices to show")
	f.StringSliceVar(&o.zones, "zones", nil, "availability zones to offer (default: the region's a, b and c zones); requirements on topology.kubernetes.io/zone filter them")
	f.StringVar(&o.nodeClass, "nodeclass", "", "YAML file holding an EC2NodeClass whose kubelet settings, CNI mode and root volume apply")
	f.StringVar(&o.cniMode, "cni-mode", "", "VPC CNI mode, overriding the node class: secondary-ip, prefix-delegation or custom-networking")
	f.Int32Var(&o.maxPods, "max-pods", 0, "kubelet max pods, overriding the CNI limit and the node class")
	f.StringVar(&o.requirements, "requirements", "", "only types satisfying these label requirements, as a label selector: 'key in (a,b)', 'key notin (a)', 'key', '!key', 'key=value', 'key>4', 'key<9', comma-separated")
	f.StringVar(&o.sortBy, "sort-by", "name", "order of the rows: name, price, vcpu or memory")
	addOutputFlag(cmd, &o.output, outputTable, outputJSON, outputCSV)
	return cmd
}

func runCatalog(ctx context.Context, cmd *cobra.Command, o *catalogOptions) error {
	nc, reqs, err := o.validate()
	if err != nil {
		return usageError{err}
	}
	prices := pricing.NewStatic(o.region, nil, logr.Discard())
	if _, currency, ok := catalog.OnDemandPrices(o.region); !ok || currency != catalog.USD {
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: the catalog has no US-dollar prices for %s; showing %s prices.\n", o.region, pricing.FallbackRegion)
	}
	zones := o.zones
	if len(zones) == 0 {
		zones = []string{o.region + "a", o.region + "b", o.region + "c"}
	}
	np := &v1.NodePool{}
	np.Name = "catalog"
	np.Spec.Template.Spec.Requirements = reqs
	provider := instancetype.NewProvider(catalog.FactsSource(), prices, instancetype.Options{
		Region: o.region, VMMemoryOverheadPercent: instancetype.DefaultVMMemoryOverheadPercent,
	})
	types, err := provider.InstanceTypes(ctx, instancetype.Request{NodeClass: nc, NodePool: np, Zones: zones})
	if err != nil {
		return err
	}
	rows := make([]catalogRow, 0, len(types))
	for _, it := range types {
		rows = append(rows, newCatalogRow(it))
	}
	sortRows(rows, o.sortBy)
	out := cmd.OutOrStdout()
	switch o.output.value {
	case outputJSON:
		return writeJSON(out, rows)
	case outputCSV:
		return writeCatalogCSV(out, rows)
	default:
		return writeCatalogTable(out, rows)
	}
}

// validate checks the flags and returns the node class and requirements they describe. Every error names the
// flag (and, for the node class file, the field) and says what is allowed.
func (o *catalogOptions) validate() (*awsv1.EC2NodeClass, []v1.NodeSelectorRequirementWithMinValues, error) {
	var errs []error
	if !regionPattern.MatchString(o.region) {
		errs = append(errs, fmt.Errorf("--region %q is not an AWS region name such as us-east-1", o.region))
	}
	for _, z := range o.zones {
		if !strings.HasPrefix(z, o.region) {
			errs = append(errs, fmt.Errorf("--zones: %q is not a zone of region %s (zones look like %sa)", z, o.region, o.region))
		}
	}
	if !slices.Contains([]string{"name", "price", "vcpu", "memory"}, o.sortBy) {
		errs = append(errs, fmt.Errorf("--sort-by %q: must be one of name, price, vcpu, memory", o.sortBy))
	}
	nc := &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{
		AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}},
		CNIMode:          awsv1.CNIModeSecondaryIP,
	}}
	if o.nodeClass != "" {
		loaded, err := loadNodeClass(o.nodeClass)
		if err != nil {
			errs = append(errs, fmt.Errorf("--nodeclass %s: %w", o.nodeClass, err))
		} else {
			nc = loaded
		}
	}
	if o.cniMode != "" {
		nc.Spec.CNIMode = awsv1.CNIMode(o.cniMode)
		if err := validCNIMode(nc.Spec.CNIMode); err != nil {
			errs = append(errs, fmt.Errorf("--cni-mode: %w", err))
		}
	}
	if o.maxPods < 0 {
		errs = append(errs, fmt.Errorf("--max-pods %d: must be at least 1", o.maxPods))
	} else if o.maxPods > 0 {
		if nc.Spec.Kubelet == nil {
			nc.Spec.Kubelet = &awsv1.KubeletConfiguration{}
		}
		nc.Spec.Kubelet.MaxPods = &o.maxPods
	}
	reqs, err := parseRequirements(o.requirements)
	if err != nil {
		errs = append(errs, fmt.Errorf("--requirements: %w", err))
	}
	return nc, reqs, errors.Join(errs...)
}

// loadNodeClass reads the first EC2NodeClass in a YAML file (other documents, a NodePool say, are skipped),
// rejecting unknown fields and the values the API server would reject that matter here.
func loadNodeClass(path string) (*awsv1.EC2NodeClass, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no EC2NodeClass (apiVersion aws.stevedore.dev/v1) in the file")
		}
		if err != nil {
			return nil, err
		}
		var meta struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("not YAML: %w", err)
		}
		if meta.Kind != "EC2NodeClass" {
			continue
		}
		if meta.APIVersion != awsv1.SchemeGroupVersion.String() {
			return nil, fmt.Errorf("apiVersion %q: must be %s", meta.APIVersion, awsv1.SchemeGroupVersion)
		}
		nc := &awsv1.EC2NodeClass{}
		if err := yaml.UnmarshalStrict(doc, nc); err != nil {
			// Drop the decoder's layers ("error unmarshaling JSON: while decoding JSON: json: ...").
			msg := err.Error()
			if i := strings.LastIndex(msg, "json: "); i >= 0 {
				msg = msg[i+len("json: "):]
			}
			return nil, errors.New(msg)
		}
		if nc.Spec.CNIMode == "" {
			nc.Spec.CNIMode = awsv1.CNIModeSecondaryIP
		}
		return nc, validateNodeClass(nc)
	}
}

func validateNodeClass(nc *awsv1.EC2NodeClass) error {
	var errs []error
	if err := validCNIMode(nc.Spec.CNIMode); err != nil {
		errs = append(errs, fmt.Errorf("spec.cniMode: %w", err))
	}
	if r := nc.Spec.ReservedENIs; r < 0 || r > 15 {
		errs = append(errs, fmt.Errorf("spec.reservedENIs %d: must be from 0 to 15", r))
	}
	k := nc.Spec.Kubelet
	if k == nil {
		return errors.Join(errs...)
	}
	if k.MaxPods != nil && *k.MaxPods < 1 {
		errs = append(errs, fmt.Errorf("spec.kubelet.maxPods %d: must be at least 1", *k.MaxPods))
	}
	if k.PodsPerCore != nil && *k.PodsPerCore < 0 {
		errs = append(errs, fmt.Errorf("spec.kubelet.podsPerCore %d: must not be negative", *k.PodsPerCore))
	}
	for field, m := range map[string]map[string]awsv1.ReservedQuantity{"kubeReserved": k.KubeReserved, "systemReserved": k.SystemReserved} {
		for key, v := range m {
			if q, err := resource.ParseQuantity(string(v)); err != nil || q.Sign() < 0 {
				errs = append(errs, fmt.Errorf("spec.kubelet.%s[%s] %q: must be a non-negative quantity such as 100m or 512Mi", field, key, v))
			}
		}
	}
	for field, m := range map[string]map[string]awsv1.EvictionThreshold{"evictionHard": k.EvictionHard, "evictionSoft": k.EvictionSoft} {
		for key, v := range m {
			s := strings.TrimSuffix(string(v), "%")
			if _, err := resource.ParseQuantity(s); err != nil {
				errs = append(errs, fmt.Errorf("spec.kubelet.%s[%s] %q: must be a quantity such as 500Mi or a percentage such as 10%%", field, key, v))
			}
		}
	}
	return errors.Join(errs...)
}

func validCNIMode(m awsv1.CNIMode) error {
	switch m {
	case awsv1.CNIModeSecondaryIP, awsv1.CNIModePrefixDelegation, awsv1.CNIModeCustomNetworking:
		return nil
	}
	return fmt.Errorf("%q: must be secondary-ip, prefix-delegation or custom-networking", m)
}

// parseRequirements reads label-selector syntax into NodePool requirements.
func parseRequirements(s string) ([]v1.NodeSelectorRequirementWithMinValues, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	selector, err := labels.Parse(s)
	if err != nil {
		return nil, err
	}
	parsed, _ := selector.Requirements()
	out := make([]v1.NodeSelectorRequirementWithMinValues, 0, len(parsed))
	for _, r := range parsed {
		var op corev1.NodeSelectorOperator
		switch r.Operator() {
		case selection.In, selection.Equals, selection.DoubleEquals:
			op = corev1.NodeSelectorOpIn
		case selection.NotIn, selection.NotEquals:
			op = corev1.NodeSelectorOpNotIn
		case selection.Exists:
			op = corev1.NodeSelectorOpExists
		case selection.DoesNotExist:
			op = corev1.NodeSelectorOpDoesNotExist
		case selection.GreaterThan:
			op = corev1.NodeSelectorOpGt
		case selection.LessThan:
			op = corev1.NodeSelectorOpLt
		default:
			return nil, fmt.Errorf("operator %q is not supported", r.Operator())
		}
		out = append(out, v1.NodeSelectorRequirementWithMinValues{Key: r.Key(), Operator: op, Values: slices.Sorted(slices.Values(r.Values().UnsortedList()))})
	}
	return out, nil
}

// catalogRow is one instance type as `stevedore catalog -o json` prints it; the field names are part of the
// CLI's interface.
type catalogRow struct {
	Name                 string            `json:"name"`
	VCPU                 int64             `json:"vcpu"`
	MemoryMiB            int64             `json:"memoryMiB"`
	Architecture         string            `json:"architecture"`
	MaxPods              int64             `json:"maxPods"`
	Capacity             catalogResources  `json:"capacity"`
	Allocatable          catalogResources  `json:"allocatable"`
	ExtendedResources    map[string]int64  `json:"extendedResources,omitempty"`
	OnDemandPricePerHour float64           `json:"onDemandPricePerHour"`
	Labels               map[string]string `json:"labels"`
}

// catalogResources are node resources in the units people compare.
type catalogResources struct {
	CPUMillicores       int64 `json:"cpuMillicores"`
	MemoryMiB           int64 `json:"memoryMiB"`
	EphemeralStorageMiB int64 `json:"ephemeralStorageMiB"`
	Pods                int64 `json:"pods"`
}

func newCatalogRow(it *cloudprovider.InstanceType) catalogRow {
	labels := it.Requirements.Labels()
	vcpu, _ := strconv.ParseInt(labels[awsv1.LabelInstanceCPU], 10, 64)
	memory, _ := strconv.ParseInt(labels[awsv1.LabelInstanceMemory], 10, 64)
	row := catalogRow{
		Name:         it.Name,
		VCPU:         vcpu,
		MemoryMiB:    memory,
		Architecture: labels[corev1.LabelArchStable],
		Capacity:     resources(it.Capacity),
		Allocatable:  resources(it.Allocatable()),
		Labels:       labels,
	}
	row.MaxPods = row.Capacity.Pods
	for name, q := range it.Capacity {
		if strings.Contains(string(name), "/") {
			if row.ExtendedResources == nil {
				row.ExtendedResources = map[string]int64{}
			}
			row.ExtendedResources[string(name)] = q.Value()
		}
	}
	for _, o := range it.Offerings {
		if o.CapacityType == v1.CapacityTypeOnDemand {
			row.OnDemandPricePerHour = o.Price
			break
		}
	}
	return row
}

func resources(l corev1.ResourceList) catalogResources {
	cpu, mem, eph, pods := l[corev1.ResourceCPU], l[corev1.ResourceMemory], l[corev1.ResourceEphemeralStorage], l[corev1.ResourcePods]
	return catalogResources{
		CPUMillicores:       cpu.MilliValue(),
		MemoryMiB:           mem.Value() >> 20,
		EphemeralStorageMiB: eph.Value() >> 20,
		Pods:                pods.Value(),
	}
}

func sortRows(rows []catalogRow, by string) {
	slices.SortStableFunc(rows, func(a, b catalogRow) int {
		var c int
		switch by {
		case "price":
			c = cmp.Compare(a.OnDemandPricePerHour, b.OnDemandPricePerHour)
		case "vcpu":
			c = cmp.Compare(a.VCPU, b.VCPU)
		case "memory":
			c = cmp.Compare(a.MemoryMiB, b.MemoryMiB)
		default:
			// Family, then size by vCPU and memory, reads like a price list.
			c = cmp.Or(cmp.Compare(a.Labels[awsv1.LabelInstanceFamily], b.Labels[awsv1.LabelInstanceFamily]),
				cmp.Compare(a.VCPU, b.VCPU), cmp.Compare(a.MemoryMiB, b.MemoryMiB))
		}
		return cmp.Or(c, cmp.Compare(a.Name, b.Name))
	})
}

func writeCatalogTable(w io.Writer, rows []catalogRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TYPE\tVCPU\tMEMORY\tARCH\tMAX PODS\tALLOC CPU\tALLOC MEMORY\tALLOC PODS\tUSD/HOUR\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%d\t%.4f\t\n", r.Name, r.VCPU, gib(r.MemoryMiB), r.Architecture, r.MaxPods,
			cores(r.Allocatable.CPUMillicores), gib(r.Allocatable.MemoryMiB), r.Allocatable.Pods, r.OnDemandPricePerHour)
	}
	return tw.Flush()
}

func writeCatalogCSV(w io.Writer, rows []catalogRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"name", "vcpu", "memoryMiB", "architecture", "maxPods", "allocatableCPUMillicores", "allocatableMemoryMiB", "allocatableEphemeralStorageMiB", "allocatablePods", "onDemandPricePerHour"})
	for _, r := range rows {
		_ = cw.Write([]string{r.Name, strconv.FormatInt(r.VCPU, 10), strconv.FormatInt(r.MemoryMiB, 10), r.Architecture, strconv.FormatInt(r.MaxPods, 10),
			strconv.FormatInt(r.Allocatable.CPUMillicores, 10), strconv.FormatInt(r.Allocatable.MemoryMiB, 10), strconv.FormatInt(r.Allocatable.EphemeralStorageMiB, 10),
			strconv.FormatInt(r.Allocatable.Pods, 10), strconv.FormatFloat(r.OnDemandPricePerHour, 'f', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// gib formats MiB as GiB with one decimal where it matters: 8 GiB, 6.7 GiB.
func gib(mib int64) string {
	g := float64(mib) / 1024
	if g == float64(int64(g)) {
		return strconv.FormatInt(int64(g), 10) + "Gi"
	}
	return strconv.FormatFloat(g, 'f', 1, 64) + "Gi"
}

// cores formats millicores as cores: 1.93, 95.69.
func cores(milli int64) string {
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64)
}
