// Package version holds the build's identity: the release version, the source commit and the build date, stamped
// into the binaries by the linker. It imports nothing but the standard library so any package may use it.
package version
