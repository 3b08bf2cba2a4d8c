// Package claimpatch writes a NodeClaim that a controller changed in memory back to the API server, metadata
// then status, each only when it changed and each guarded by the resource version read, so that several
// controllers editing the same claim never overwrite one another's writes. It imports only the client.
package claimpatch
