package ami

import "time"

// cacheTTL is how long a resolved selector stays fresh: long enough that a burst of launches and reconciles
// costs one EC2 call, short enough that a newly published or deprecated image shows up within a minute.
const cacheTTL = time.Minute
