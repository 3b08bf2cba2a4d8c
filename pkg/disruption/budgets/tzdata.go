package budgets

// The controller image may carry no zoneinfo; without this fallback a time zone the API server accepted would be
// unknown here and block the pool's disruption. It costs about 450 KB of binary and is used only when the
// system has no database.
import _ "time/tzdata"
