// Package harness starts one sandbox per end-to-end test package and gives its tests what a user has: a
// Kubernetes client, an EC2 client on the AWS simulator, the controller as a process that can be killed (when
// the suite asks for it), and waits that, when they time out, dump the state a person would look at first:
// nodes, NodeClaims, pending pods, recent events and the tail of the controller's log.
//
// It must not import Stevedore's controllers or cloud provider, nor pkg/test (which only _test.go files use):
// the suites watch the system from outside.
package harness
