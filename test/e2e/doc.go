// Package e2e holds Stevedore's end-to-end suites: each test package under it starts one whole sandbox
// (pkg/sandbox: a real etcd, kube-apiserver, kube-scheduler and kube-controller-manager, kwok, the AWS simulator
// and the controller) and drives it only as a user would, through the Kubernetes API and the AWS SDK.
//
//   - provisioning proves that pending pods get the cheapest nodes the solver knows of, spread over zones as
//     their constraints ask, and that a launch that runs out of spot capacity falls back to other spot types and
//     zones, then to on-demand, leaving no pod pending.
//   - lifecycle runs the controller as a separate process built from ./cmd/controller, so it can be killed, and
//     proves that deleting a Node drains it within its PodDisruptionBudget before the instance is terminated,
//     that an instance that never registers is replaced after the registration TTL, that leaked instances are
//     garbage collected (and others left alone), and that a controller killed mid-launch leaves neither a
//     duplicate nor an orphaned instance.
//
// Run them with `go test ./test/e2e/...` (they are part of `make test`). They need the pinned control plane and
// kwok binaries that `make tools` builds into bin/; without them each suite says so and skips. Each package
// takes a minute or two, most of it waiting for simulated instances to boot and pods to run. A wait that times
// out logs the nodes, NodeClaims, pending pods, recent events and the controller's log tail; a failed suite
// keeps every component's log and says where.
//
// The suites import pkg/sandbox and the public clients only; they must not import controllers or the cloud
// provider, since they test the system from the outside.
package e2e
