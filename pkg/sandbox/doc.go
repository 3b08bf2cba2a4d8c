// Package sandbox runs a whole Stevedore installation on one machine: a real control plane with kwok standing
// in for kubelets (pkg/sandbox/controlplane), the AWS simulator (pkg/awssim) whose instances become Nodes
// (pkg/sandbox/kubelet), and the controller itself, in process (pkg/operator). It installs the CRDs and a
// default EC2NodeClass and NodePool, prints a running summary of nodes, pending pods and cost, and on
// cancellation stops everything it started, so that a user can watch Stevedore work without an AWS account.
//
// It is wiring only. It must not import the command line (pkg/cli), nor test helpers (pkg/test), and it reaches
// AWS only through the simulator it starts.
package sandbox
