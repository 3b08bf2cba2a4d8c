// Package wire drives the AWS simulator with a second, independent client, the AWS CLI, to check that its
// responses are shaped as real AWS's are, beyond what the Go SDK's deserialisers happen to accept. The tests
// carry the wire build tag and run with `make test-wire` (part of `make presubmit`), which installs the CLI first
// when it is missing (hack/awscli.sh).
package wire
