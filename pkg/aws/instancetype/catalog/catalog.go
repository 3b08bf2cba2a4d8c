package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	_ "embed" // the catalog file

	"github.com/stevedore-dev/stevedore/pkg/aws/instancetype"
)

// USD is the currency of every region Regions lists.
const USD = "USD"

//go:embed zz_generated_catalog.json
var embedded []byte

// Origin says where the embedded catalog came from and what its generator kept and left out.
type Origin struct {
	// Notice marks the file as generated (JSON has no comments).
	Notice string `json:"notice"`
	// Generator is the command that wrote the file.
	Generator string `json:"generator"`
	// Sources lists each input file with its hash and row count.
	Sources []Source `json:"sources"`
	// Counts says how many instance types were written and why the rest were left out.
	Counts Counts `json:"counts"`
}

// Source identifies one input file of the generator exactly.
type Source struct {
	// File is the file's name in hack/catalog/source, for example instance-types.csv.
	File string `json:"file"`
	// SHA256 is the hex-encoded SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Rows is the number of data rows (CSV records after the header, or entries of the max-pods table).
	Rows int `json:"rows"`
}

// Counts tallies what the generator did with the instance-type rows.
type Counts struct {
	// InstanceTypesWritten is the number of types InstanceTypes returns.
	InstanceTypesWritten int `json:"instanceTypesWritten"`
	// SkippedNoVCPUOrMemory is the number of legacy types left out because the sources give no vCPU or memory.
	SkippedNoVCPUOrMemory int `json:"skippedNoVCPUOrMemory"`
	// SkippedArchitecture is the number of types left out because they are neither amd64 nor arm64.
	SkippedArchitecture int `json:"skippedArchitecture"`
	// ENIMaxPodsFromTable is the number of written types whose ENIMaxPods comes from the EKS AMI's table.
	ENIMaxPodsFromTable int `json:"eniMaxPodsFromTable"`
	// ENIMaxPodsComputed is the number of written types whose ENIMaxPods was computed with the table's formula.
	ENIMaxPodsComputed int `json:"eniMaxPodsComputed"`
	// NetworkTotalsUnknown is the number of written types whose MaxENIs, NetworkCards and BranchENIs are 0
	// because no source gives them.
	NetworkTotalsUnknown int `json:"networkTotalsUnknown"`
}

// file is the shape of zz_generated_catalog.json.
type file struct {
	Provenance Origin `json:"provenance"`
	// Currencies maps every priced region to the ISO 4217 code of its prices.
	Currencies map[string]string `json:"currencies"`
	// InstanceTypes is sorted by name, which Lookup relies on.
	InstanceTypes []instancetype.Facts `json:"instanceTypes"`
	// OnDemandPrices maps region, then instance type, to the hourly price in the region's currency.
	OnDemandPrices map[string]map[string]float64 `json:"onDemandPrices"`
}

// loaded decodes the embedded file on first use.
var loaded = sync.OnceValues(func() (*file, error) { return decode(embedded) })

// decode parses a catalog file strictly: a field the generator writes and this package does not know is an
// error, as are unsorted or duplicate types and prices in a region of unknown currency.
func decode(data []byte) (*file, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	var f file
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("decoding the instance-type catalog: %w", err)
	}
	if d.More() {
		return nil, errors.New("decoding the instance-type catalog: data after the catalog")
	}
	for i := 1; i < len(f.InstanceTypes); i++ {
		if prev, name := f.InstanceTypes[i-1].Name, f.InstanceTypes[i].Name; prev >= name {
			return nil, fmt.Errorf("decoding the instance-type catalog: %s follows %s; want names sorted and unique", name, prev)
		}
	}
	for region := range f.OnDemandPrices {
		if f.Currencies[region] == "" {
			return nil, fmt.Errorf("decoding the instance-type catalog: region %s has prices but no currency", region)
		}
	}
	return &f, nil
}

// catalog returns the decoded file. The file is compiled in and this package's tests decode it, so failing
// here means a broken build, like a bad regexp.MustCompile pattern, and nothing a caller could handle.
func catalog() *file {
	f, err := loaded()
	if err != nil {
		panic(err)
	}
	return f
}

// InstanceTypes returns the facts of every catalogued instance type, sorted by name, as a fresh copy the caller
// may modify. Types the sources give no vCPU or memory for (22 legacy ones such as g2.2xlarge and p2.xlarge)
// are left out, since nothing can be packed onto a node of unknown size; OnDemandPrices still has their prices.
func InstanceTypes() []instancetype.Facts {
	types := slices.Clone(catalog().InstanceTypes)
	for i := range types {
		types[i] = clone(types[i])
	}
	return types
}

// Lookup returns the facts of the named instance type, and false when the catalog does not have it (unknown,
// or one of the types InstanceTypes leaves out).
func Lookup(name string) (instancetype.Facts, bool) {
	types := catalog().InstanceTypes
	i, ok := slices.BinarySearchFunc(types, name, func(f instancetype.Facts, name string) int {
		return strings.Compare(f.Name, name)
	})
	if !ok {
		return instancetype.Facts{}, false
	}
	return clone(types[i]), true
}

// OnDemandPrices returns the hourly on-demand price (Linux, shared tenancy) of every instance type sold on demand
// in region, keyed by type name, as a fresh map, with the ISO 4217 code of its currency. Prices are in US
// dollars for the regions Regions lists, but not for every region: cn-north-1 is in CNY, so check the currency
// before comparing prices across regions. ok is false when the catalog has no prices for region.
func OnDemandPrices(region string) (prices map[string]float64, currency string, ok bool) {
	f := catalog()
	p, ok := f.OnDemandPrices[region]
	if !ok {
		return nil, "", false
	}
	return maps.Clone(p), f.Currencies[region], true
}

// Regions returns, sorted, the regions with on-demand prices in US dollars (USD): us-east-1 and the two
// GovCloud regions. Regions priced in another currency are left out; Currencies lists every priced region.
func Regions() []string {
	var regions []string
	for region, currency := range catalog().Currencies {
		if currency == USD {
			regions = append(regions, region)
		}
	}
	slices.Sort(regions)
	return regions
}

// Currencies maps every region the catalog has prices for, whatever their currency, to the ISO 4217 code of its
// prices, for example "cn-north-1": "CNY". The map is a fresh copy.
func Currencies() map[string]string {
	return maps.Clone(catalog().Currencies)
}

// Provenance says which source files, by hash and row count, the embedded catalog was generated from, and what
// the generator left out. The result is a copy.
func Provenance() Origin {
	p := catalog().Provenance
	p.Sources = slices.Clone(p.Sources)
	return p
}

// clone copies f deeply, so that callers cannot change the catalog through its accelerator pointers.
func clone(f instancetype.Facts) instancetype.Facts {
	if f.GPU != nil {
		gpu := *f.GPU
		f.GPU = &gpu
	}
	if f.Accelerator != nil {
		accelerator := *f.Accelerator
		f.Accelerator = &accelerator
	}
	return f
}
