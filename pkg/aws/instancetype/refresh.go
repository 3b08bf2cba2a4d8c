package instancetype

import "time"

// DefaultRefreshInterval is how often instance types and their zonal offerings are re-read from EC2. Both change
// when AWS launches a type or a zone, which is rare; twice a day keeps the DescribeInstanceTypes calls (about 15
// pages per region) negligible.
const DefaultRefreshInterval = 12 * time.Hour
