// Package test is Stevedore's test harness: a real kube-apiserver and etcd (envtest, with the binaries
// hack/tools.sh builds into bin/) with the CRDs installed, one per test package; fixture builders with
// functional options; and expectation helpers that drive reconcilers directly.
//
// Only _test.go files import this package.
package test
