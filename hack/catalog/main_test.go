package main

import (
	"bytes"
	"encoding/csv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommittedCatalogIsUpToDate is verify.sh's check, run in-process so that `go test` catches it too.
func TestCommittedCatalogIsUpToDate(t *testing.T) {
	c, err := generate("source")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.encode()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../pkg/aws/instancetype/catalog/zz_generated_catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("catalog is out of date: run go run ./hack/catalog")
	}
	if !bytes.HasSuffix(got, []byte("}\n")) {
		t.Error("the catalog does not end in a newline")
	}
}

func TestKubernetesArch(t *testing.T) {
	tests := []struct {
		ec2, want string
		ok        bool
	}{
		{"x86_64", "amd64", true},
		{"X86_64", "amd64", true},
		{"amd64", "amd64", true},
		{"arm64", "arm64", true},
		{"aarch64", "arm64", true},
		{"i386", "", false},
		{"x86_64_mac", "", false},
		{"arm64_mac", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := kubernetesArch(tt.ec2); got != tt.want || ok != tt.ok {
			t.Errorf("kubernetesArch(%q) = %q, %t; want %q, %t", tt.ec2, got, ok, tt.want, tt.ok)
		}
	}
}

// sources is a small, valid set of generator inputs that test cases break one way at a time.
type sources struct {
	types  []map[string]string // instance-types.csv rows by column; the header is every column any row has
	prices string
	table  string
}

func validSources() *sources {
	m5Large := map[string]string{
		"instance_type": "m5.large", "family": "m5", "category": "m", "generation": "5", "size": "large",
		"vcpu": "2", "memory_mib": "8192", "architecture": "x86_64", "cpu_manufacturer": "intel",
		"cpu_sustained_clock_mhz": "3100", "gpu_name": "", "gpu_manufacturer": "", "gpu_count": "",
		"gpu_memory_mib": "", "accelerator_name": "", "accelerator_manufacturer": "", "accelerator_count": "",
		"max_enis": "3", "default_card_max_enis": "3", "ipv4_per_eni": "10", "network_cards": "1",
		"hypervisor": "nitro", "bare_metal": "false", "network_bandwidth_mbps": "750", "ebs_max_bandwidth_mbps": "4750",
		"local_nvme_gb": "", "encryption_in_transit": "false", "efa_interfaces": "0", "trunking_compatible": "true",
		"branch_enis_pod_eni": "9", "eni_max_pods": "29", "eni_max_pods_source": "eni-max-pods.txt",
		"src_vpclimits": "true", "ondemand_usd_per_hour_us_east_1": "0.096",
	}
	m5XLarge := maps.Clone(m5Large)
	maps.Copy(m5XLarge, map[string]string{"instance_type": "m5.xlarge", "size": "xlarge", "vcpu": "4",
		"memory_mib": "16384", "max_enis": "4", "default_card_max_enis": "4", "ipv4_per_eni": "15",
		"eni_max_pods": "58", "eni_max_pods_source": "computed", "ondemand_usd_per_hour_us_east_1": ""})
	legacy := map[string]string{"instance_type": "g2.2xlarge", "family": "g2", "category": "g", "size": "2xlarge",
		"bare_metal": "false", "ondemand_usd_per_hour_us_east_1": "0.65"}
	mac := maps.Clone(m5Large)
	maps.Copy(mac, map[string]string{"instance_type": "mac1.metal", "family": "mac1", "category": "mac",
		"size": "metal", "architecture": "x86_64_mac", "ondemand_usd_per_hour_us_east_1": ""})
	return &sources{
		types:  []map[string]string{m5Large, m5XLarge, legacy, mac},
		prices: "instance_type,us-east-1_usd,cn-north-1_cny\nm5.large,0.096,1.013\ng2.2xlarge,0.65,\nm5.xlarge,,2.026\n",
		table:  "# Licence and formula.\n\nm5.large 29\n",
	}
}

func (s *sources) write(t *testing.T) string {
	t.Helper()
	var header []string
	for _, row := range s.types {
		for column := range row {
			if !slices.Contains(header, column) {
				header = append(header, column)
			}
		}
	}
	slices.Sort(header)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	records := [][]string{header}
	for _, row := range s.types {
		record := make([]string, len(header))
		for i, column := range header {
			record[i] = row[column]
		}
		records = append(records, record)
	}
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string]string{instanceTypesFile: b.String(), pricesFile: s.prices, eniMaxPodsFile: s.table} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestGenerate(t *testing.T) {
	c, err := generate(validSources().write(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Provenance.Counts, (counts{InstanceTypesWritten: 2, SkippedNoVCPUOrMemory: 1, SkippedArchitecture: 1,
		ENIMaxPodsFromTable: 1, ENIMaxPodsComputed: 1}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	var names []string
	for _, f := range c.InstanceTypes {
		names = append(names, f.Name)
		if f.Architecture != "amd64" {
			t.Errorf("%s: Architecture = %q, want x86_64 spelled amd64", f.Name, f.Architecture)
		}
	}
	if want := []string{"m5.large", "m5.xlarge"}; !slices.Equal(names, want) {
		t.Errorf("instance types = %q, want %q", names, want)
	}
	if got := c.OnDemandPrices["us-east-1"]["g2.2xlarge"]; got != 0.65 {
		t.Errorf("us-east-1 price of the skipped g2.2xlarge = %v, want it kept at 0.65", got)
	}
	if got := c.Currencies["cn-north-1"]; got != "CNY" {
		t.Errorf("cn-north-1 currency = %q, want CNY", got)
	}
	var rows []int
	for _, s := range c.Provenance.Sources {
		rows = append(rows, s.Rows)
	}
	if want := []int{4, 3, 1}; !slices.Equal(rows, want) {
		t.Errorf("source rows = %v, want %v", rows, want)
	}
}

func TestGenerateRejectsBadSources(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(s *sources)
		wantErr string
	}{{
		name:    "duplicate instance type",
		breakIt: func(s *sources) { s.types = append(s.types, s.types[0]) },
		wantErr: `instance_type "m5.large" is empty or listed twice`,
	}, {
		name:    "malformed number",
		breakIt: func(s *sources) { s.types[0]["vcpu"] = "two" },
		wantErr: `vcpu "two" is not a whole number`,
	}, {
		name:    "missing column",
		breakIt: func(s *sources) { deleteColumn(s, "ipv4_per_eni") },
		wantErr: `no column "ipv4_per_eni"`,
	}, {
		name:    "max pods disagree with the EKS table",
		breakIt: func(s *sources) { s.table = "m5.large 30\n" },
		wantErr: "eni_max_pods 29, want 30",
	}, {
		name:    "computed max pods disagree with the formula",
		breakIt: func(s *sources) { s.types[1]["eni_max_pods"] = "57" },
		wantErr: "eni_max_pods 57, want 58",
	}, {
		name:    "max pods missing",
		breakIt: func(s *sources) { s.types[1]["eni_max_pods"] = "" },
		wantErr: "eni_max_pods 0, want 58",
	}, {
		name:    "type listed twice in the EKS table",
		breakIt: func(s *sources) { s.table += "m5.large 29\n" },
		wantErr: "m5.large is listed twice",
	}, {
		name:    "us-east-1 prices disagree",
		breakIt: func(s *sources) { s.types[0]["ondemand_usd_per_hour_us_east_1"] = "0.097" },
		wantErr: "us-east-1 price 0.097, but 0.096 in ondemand-prices-by-region.csv",
	}, {
		name:    "price column without a currency",
		breakIt: func(s *sources) { s.prices = strings.Replace(s.prices, "cn-north-1_cny", "cn-north-1", 1) },
		wantErr: `column "cn-north-1" is not <region>_<currency>`,
	}, {
		name:    "us-east-1 not in dollars",
		breakIt: func(s *sources) { s.prices = strings.Replace(s.prices, "us-east-1_usd", "us-east-1_eur", 1) },
		wantErr: "no USD prices for us-east-1",
	}, {
		name:    "bare metal with a hypervisor",
		breakIt: func(s *sources) { s.types[0]["bare_metal"] = "true" },
		wantErr: `hypervisor "nitro" does not fit bare_metal true`,
	}, {
		name:    "half-described GPU",
		breakIt: func(s *sources) { s.types[0]["gpu_name"] = "a10g" },
		wantErr: "must be all set or all empty",
	}, {
		name:    "interfaces without the VPC limits table",
		breakIt: func(s *sources) { s.types[0]["src_vpclimits"] = "false" },
		wantErr: "src_vpclimits is false",
	}, {
		name:    "name that does not split into family and size",
		breakIt: func(s *sources) { s.types[0]["family"] = "m6" },
		wantErr: `name "m5.large" does not split`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSources()
			tt.breakIt(s)
			_, err := generate(s.write(t))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("generate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func deleteColumn(s *sources, column string) {
	for _, row := range s.types {
		delete(row, column)
	}
}
