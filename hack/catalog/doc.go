// Command catalog generates pkg/aws/instancetype/catalog/zz_generated_catalog.json, the EC2 instance-type facts
// and on-demand prices Stevedore embeds for offline use, from the reference data in hack/catalog/source.
//
// Run it from the repository root:
//
//	go run ./hack/catalog [--source hack/catalog/source] [--out pkg/aws/instancetype/catalog/zz_generated_catalog.json]
//
// It reads the CSV files by column name, validates every row (numbers parse, names are unique, max pods agree
// with the EKS table and its formula, the two price sources agree), leaves out types that cannot be launched as
// Linux nodes, and writes the same bytes for the same input: types sorted by name, one per line. A one-line
// summary goes to standard error. hack/catalog/verify.sh fails when the committed file is stale.
package main
