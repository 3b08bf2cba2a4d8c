package catalog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
)

// sourceDir holds the generator's inputs, relative to this package.
const sourceDir = "../../../../hack/catalog/source"

// TestHandCheckedTypes compares whole entries with rows of hack/catalog/source read by eye: the four rows the
// data README checked, and a bare-metal type, a GPU type, a fractional GPU, an Inferentia type and a type with
// card 0's network limits only.
func TestHandCheckedTypes(t *testing.T) {
	tests := []struct {
		want instancetype.Facts
		usd  float64 // us-east-1 on-demand price; 0 when not sold there
	}{{
		want: instancetype.Facts{Name: "m5.large", Family: "m5", Category: "m", Generation: 5, Size: "large",
			VCPU: 2, MemoryMiB: 8192, Architecture: "amd64", CPUManufacturer: "intel", CPUSustainedClockMHz: 3100,
			MaxENIs: 3, DefaultCardMaxENIs: 3, IPv4PerENI: 10, NetworkCards: 1, Hypervisor: "nitro",
			NetworkBandwidthMbps: 750, EBSBandwidthMbps: 4750, BranchENIs: 9, ENIMaxPods: 29},
		usd: 0.096,
	}, {
		want: instancetype.Facts{Name: "t3.micro", Family: "t3", Category: "t", Generation: 3, Size: "micro",
			VCPU: 2, MemoryMiB: 1024, Architecture: "amd64", CPUManufacturer: "intel", CPUSustainedClockMHz: 2500,
			MaxENIs: 2, DefaultCardMaxENIs: 2, IPv4PerENI: 2, NetworkCards: 1, Hypervisor: "nitro",
			NetworkBandwidthMbps: 64, EBSBandwidthMbps: 2085, ENIMaxPods: 4},
		usd: 0.0104,
	}, {
		want: instancetype.Facts{Name: "c6g.large", Family: "c6g", Category: "c", Generation: 6, Size: "large",
			VCPU: 2, MemoryMiB: 4096, Architecture: "arm64", CPUManufacturer: "aws", CPUSustainedClockMHz: 2500,
			MaxENIs: 3, DefaultCardMaxENIs: 3, IPv4PerENI: 10, NetworkCards: 1, Hypervisor: "nitro",
			NetworkBandwidthMbps: 750, EBSBandwidthMbps: 4750, BranchENIs: 9, ENIMaxPods: 29},
		usd: 0.068,
	}, {
		// Four network cards, 60 interfaces in all, but the VPC CNI uses card 0's 15: 15*(50-1)+2 = 737.
		want: instancetype.Facts{Name: "p4d.24xlarge", Family: "p4d", Category: "p", Generation: 4, Size: "24xlarge",
			VCPU: 96, MemoryMiB: 1179648, Architecture: "amd64", CPUManufacturer: "intel", CPUSustainedClockMHz: 3000,
			GPU:     &instancetype.Accelerator{Name: "a100", Manufacturer: "nvidia", Count: 8, MemoryMiB: 40960},
			MaxENIs: 60, DefaultCardMaxENIs: 15, IPv4PerENI: 50, NetworkCards: 4, Hypervisor: "nitro",
			NetworkBandwidthMbps: 400000, EBSBandwidthMbps: 19000, LocalNVMeGB: 8000, EncryptionInTransit: true,
			EFAInterfaces: 4, BranchENIs: 62, ENIMaxPods: 737},
		usd: 21.957642,
	}, {
		want: instancetype.Facts{Name: "m5.metal", Family: "m5", Category: "m", Generation: 5, Size: "metal",
			VCPU: 96, MemoryMiB: 393216, Architecture: "amd64", CPUManufacturer: "intel", CPUSustainedClockMHz: 3100,
			MaxENIs: 15, DefaultCardMaxENIs: 15, IPv4PerENI: 50, NetworkCards: 1, BareMetal: true,
			NetworkBandwidthMbps: 25000, EBSBandwidthMbps: 19000, BranchENIs: 120, ENIMaxPods: 737},
		usd: 4.608,
	}, {
		want: instancetype.Facts{Name: "g5.xlarge", Family: "g5", Category: "g", Generation: 5, Size: "xlarge",
			VCPU: 4, MemoryMiB: 16384, Architecture: "amd64", CPUManufacturer: "amd", CPUSustainedClockMHz: 3300,
			GPU:     &instancetype.Accelerator{Name: "a10g", Manufacturer: "nvidia", Count: 1, MemoryMiB: 22888},
			MaxENIs: 4, DefaultCardMaxENIs: 4, IPv4PerENI: 15, NetworkCards: 1, Hypervisor: "nitro",
			NetworkBandwidthMbps: 2500, EBSBandwidthMbps: 3500, LocalNVMeGB: 250, EncryptionInTransit: true,
			BranchENIs: 4, ENIMaxPods: 58},
		usd: 1.006,
	}, {
		// An eighth of an L4: a GPU with count 0 and the share's memory.
		want: instancetype.Facts{Name: "g6f.large", Family: "g6f", Category: "g", Generation: 6, Size: "large",
			VCPU: 2, MemoryMiB: 8192, Architecture: "amd64", CPUManufacturer: "amd", CPUSustainedClockMHz: 3400,
			GPU:     &instancetype.Accelerator{Name: "l4", Manufacturer: "nvidia", Count: 0, MemoryMiB: 2861},
			MaxENIs: 2, DefaultCardMaxENIs: 2, IPv4PerENI: 10, NetworkCards: 1, Hypervisor: "nitro",
			NetworkBandwidthMbps: 1500, EBSBandwidthMbps: 5000, LocalNVMeGB: 100, EncryptionInTransit: true,
			BranchENIs: 10, ENIMaxPods: 20},
		usd: 0.202,
	}, {
		want: instancetype.Facts{Name: "inf2.xlarge", Family: "inf2", Category: "inf", Generation: 2, Size: "xlarge",
			VCPU: 4, MemoryMiB: 16384, Architecture: "amd64", CPUManufacturer: "amd", CPUSustainedClockMHz: 3600,
			Accelerator: &instancetype.Accelerator{Name: "inferentia2", Manufacturer: "aws", Count: 1},
			MaxENIs:     4, DefaultCardMaxENIs: 4, IPv4PerENI: 15, NetworkCards: 1, Hypervisor: "nitro",
			NetworkBandwidthMbps: 2083, EBSBandwidthMbps: 10000, EncryptionInTransit: true, BranchENIs: 18,
			ENIMaxPods: 58},
		usd: 0.7582,
	}, {
		// Missing from the VPC limits table: card 0's limits are known, the totals and trunking are not.
		want: instancetype.Facts{Name: "hpc7a.12xlarge", Family: "hpc7a", Category: "hpc", Generation: 7,
			Size: "12xlarge", VCPU: 24, MemoryMiB: 786432, Architecture: "amd64", CPUManufacturer: "amd",
			CPUSustainedClockMHz: 3700, DefaultCardMaxENIs: 2, IPv4PerENI: 50, Hypervisor: "nitro",
			NetworkBandwidthMbps: 300000, EBSBandwidthMbps: 2085, EncryptionInTransit: true, EFAInterfaces: 2,
			ENIMaxPods: 100},
	}, {
		// Xen, and no bandwidth or clock figures in any source.
		want: instancetype.Facts{Name: "c1.medium", Family: "c1", Category: "c", Generation: 1, Size: "medium",
			VCPU: 2, MemoryMiB: 1740, Architecture: "amd64", CPUManufacturer: "intel", MaxENIs: 2,
			DefaultCardMaxENIs: 2, IPv4PerENI: 6, NetworkCards: 1, Hypervisor: "xen", ENIMaxPods: 12},
		usd: 0.13,
	}}
	prices, _, _ := OnDemandPrices("us-east-1")
	for _, tt := range tests {
		name := tt.want.Name
		t.Run(name, func(t *testing.T) {
			got, ok := Lookup(name)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup(%q) =\n%s\nwant\n%s", name, asJSON(t, got), asJSON(t, tt.want))
			}
			if price := prices[name]; price != tt.usd {
				t.Errorf("us-east-1 price of %s = %v, want %v", name, price, tt.usd)
			}
		})
	}
}

// TestEveryTypeIsLaunchable checks what the solver relies on for every catalogued type.
func TestEveryTypeIsLaunchable(t *testing.T) {
	types := InstanceTypes()
	if got, want := len(types), Provenance().Counts.InstanceTypesWritten; got != want || got == 0 {
		t.Fatalf("InstanceTypes() has %d types, provenance says %d were written", got, want)
	}
	for _, f := range types {
		var problems []string
		check := func(ok bool, problem string) {
			if !ok {
				problems = append(problems, problem)
			}
		}
		check(f.VCPU > 0, "no vCPU")
		check(f.MemoryMiB > 0, "no memory")
		check(f.Architecture == "amd64" || f.Architecture == "arm64", "architecture is not amd64 or arm64")
		check(f.DefaultCardMaxENIs > 0, "no network interfaces on card 0")
		check(f.IPv4PerENI > 0, "no IPv4 addresses per interface")
		check(f.ENIMaxPods > 0, "no max pods")
		check(f.Name == f.Family+"."+f.Size && strings.HasPrefix(f.Family, f.Category), "name, family, category and size disagree")
		check(f.MaxENIs == 0 || f.MaxENIs >= f.DefaultCardMaxENIs, "fewer interfaces in all than on card 0")
		check(f.BareMetal == (f.Hypervisor == ""), "hypervisor does not fit bare metal")
		check(f.GPU == nil || f.GPU.Count >= 0 && f.GPU.Name != "", "malformed GPU")
		check(f.Accelerator == nil || f.Accelerator.Count > 0 && f.Accelerator.Name != "", "malformed accelerator")
		if len(problems) > 0 {
			t.Errorf("%s: %s\n%s", f.Name, strings.Join(problems, "; "), asJSON(t, f))
		}
	}
}

// TestENIMaxPodsMatchEKSTable checks ENIMaxPods against the EKS AMI's table, read here independently of the
// generator, and the table against the formula it says it is built with. They agree for every catalogued type
// the table lists, including multi-card types such as p5.48xlarge (the table counts card 0 only), so there
// are no exceptions to document.
func TestENIMaxPodsMatchEKSTable(t *testing.T) {
	table := readENIMaxPodsTable(t)
	var notCatalogued []string
	for name, want := range table {
		f, ok := Lookup(name)
		if !ok {
			notCatalogued = append(notCatalogued, name)
			continue
		}
		if f.ENIMaxPods != want {
			t.Errorf("%s: ENIMaxPods = %d, eni-max-pods.txt says %d\n%s", name, f.ENIMaxPods, want, asJSON(t, f))
		}
		if got := formula(f); got != want {
			t.Errorf("%s: DefaultCardMaxENIs*(IPv4PerENI-1)+2 = %d*(%d-1)+2 = %d, eni-max-pods.txt says %d",
				name, f.DefaultCardMaxENIs, f.IPv4PerENI, got, want)
		}
	}
	for _, f := range InstanceTypes() {
		if _, listed := table[f.Name]; !listed && f.ENIMaxPods != formula(f) {
			t.Errorf("%s is not in eni-max-pods.txt: ENIMaxPods = %d, want the formula's %d", f.Name, f.ENIMaxPods, formula(f))
		}
	}
	// Mac hosts, types the instance-type reference lacks and legacy types without vCPU or memory.
	slices.Sort(notCatalogued)
	t.Logf("%d of %d types in eni-max-pods.txt are not catalogued: %v", len(notCatalogued), len(table), notCatalogued)
}

func formula(f instancetype.Facts) int32 { return f.DefaultCardMaxENIs*(f.IPv4PerENI-1) + 2 }

// TestProvenanceMatchesSources ties the embedded file to the bytes of hack/catalog/source: a source changed
// without regenerating fails here as well as in hack/catalog/verify.sh.
func TestProvenanceMatchesSources(t *testing.T) {
	p := Provenance()
	if !strings.Contains(p.Notice, "DO NOT EDIT") {
		t.Errorf("Provenance().Notice = %q, want a generated-file notice", p.Notice)
	}
	rows := map[string]int{
		"instance-types.csv":            countCSVRecords(t, "instance-types.csv"),
		"ondemand-prices-by-region.csv": countCSVRecords(t, "ondemand-prices-by-region.csv"),
		"eni-max-pods.txt":              len(readENIMaxPodsTable(t)),
	}
	if len(p.Sources) != len(rows) {
		t.Errorf("Provenance().Sources = %+v, want one entry for each of %d files", p.Sources, len(rows))
	}
	for _, s := range p.Sources {
		data, err := os.ReadFile(filepath.Join(sourceDir, s.File))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != s.SHA256 {
			t.Errorf("%s has SHA-256 %s, the catalog was generated from %s: catalog is out of date: run go run ./hack/catalog",
				s.File, got, s.SHA256)
		}
		if want, ok := rows[s.File]; !ok || s.Rows != want {
			t.Errorf("provenance says %s has %d rows, it has %d", s.File, s.Rows, want)
		}
	}
	c := p.Counts
	if got, want := c.InstanceTypesWritten+c.SkippedNoVCPUOrMemory+c.SkippedArchitecture, rows["instance-types.csv"]; got != want {
		t.Errorf("written %d + skipped %d + %d = %d, want the %d rows of instance-types.csv",
			c.InstanceTypesWritten, c.SkippedNoVCPUOrMemory, c.SkippedArchitecture, got, want)
	}
	if got := c.ENIMaxPodsFromTable + c.ENIMaxPodsComputed; got != c.InstanceTypesWritten {
		t.Errorf("max pods from the table %d + computed %d = %d, want %d", c.ENIMaxPodsFromTable, c.ENIMaxPodsComputed,
			got, c.InstanceTypesWritten)
	}
}

func countCSVRecords(t *testing.T, name string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sourceDir, name))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return len(records) - 1 // the header
}

// readENIMaxPodsTable parses eni-max-pods.txt: comment lines, then "<instance type> <max pods>" lines.
func readENIMaxPodsTable(t *testing.T) map[string]int32 {
	t.Helper()
	f, err := os.Open(filepath.Join(sourceDir, "eni-max-pods.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table := map[string]int32{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		n, err := strconv.ParseInt(fields[len(fields)-1], 10, 32)
		if len(fields) != 2 || err != nil {
			t.Fatalf("eni-max-pods.txt: malformed line %q", s.Text())
		}
		table[fields[0]] = int32(n)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return table
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
