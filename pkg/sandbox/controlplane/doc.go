// Package controlplane runs a whole Kubernetes control plane on one machine for the sandbox and end-to-end
// suites: etcd, kube-apiserver, kube-scheduler, kube-controller-manager and kwok, which plays the kubelet for
// fake nodes and their pods. It generates the certificates and kubeconfigs the components need, keeps all
// state in one directory so a cluster survives restarts, and supervises the processes so that none outlives
// the control plane.
//
// It starts processes and talks to the API server only; it must not import the AWS SDK, the AWS simulator or
// Stevedore's controllers, so that the sandbox command wires those together in one place.
package controlplane
