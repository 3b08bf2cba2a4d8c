// Package refresh runs the periodic reloads of the AWS provider's data (instance types, zonal offerings, prices):
// at once, then every interval, sooner after a failure, logging failures while the caller keeps serving its last
// good data. It imports nothing of Stevedore's.
package refresh
