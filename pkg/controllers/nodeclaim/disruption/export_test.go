package disruption

// Map functions of Register's watches, for tests that check which claims a change wakes.
var (
	ClaimsOfPool  = claimsOfPool
	ClaimsOfClass = claimsOfClass
)
