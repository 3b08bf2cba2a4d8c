package network

import "time"

// cacheTTL is how long a resolved selector stays fresh: long enough that a burst of launches and reconciles
// costs one EC2 call, short enough that a newly tagged subnet or a filling one shows up within a minute.
const cacheTTL = time.Minute
