package nodeclass

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	awsv1 "github.com/stevedore-dev/stevedore/pkg/apis/aws/v1"
)

// Hash digests the spec fields of nc that decide how a new instance is built (see the package documentation
// for which and why), as 16 hex digits. Equal specs hash equally whatever order their maps were written in;
// metadata and status never change it.
func Hash(nc *awsv1.EC2NodeClass) string {
	// encoding/json writes struct fields in declaration order and map keys sorted, so the encoding is canonical.
	// A spec always encodes (it holds only strings, numbers, maps and quantities), so the error cannot happen.
	raw, _ := json.Marshal(nc.Spec)
	h := fnv.New64a()
	_, _ = h.Write(raw)
	return fmt.Sprintf("%016x", h.Sum64())
}
