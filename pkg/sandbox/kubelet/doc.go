// Package kubelet stands in for the kubelets of the sandbox's simulated instances. Real instances register
// their own Node when they boot; simulated ones have no kubelet, so a Kubelet, set as the AWS simulator's
// Hooks, creates the Node a real instance's kubelet would register once the instance is running, and deletes
// it once the instance has terminated. kwok then manages the Node (it carries kwok's annotation): it marks it
// Ready, heartbeats and runs the pods bound to it.
//
// The Node is named after the instance's private DNS name, as on EKS, with the provider ID the AWS cloud
// controller would set, the well-known labels of the instance type, zone and region, and the labels, taints,
// max pods and reservations its user data tells the kubelet to register with: nodeadm's NodeConfig for Amazon
// Linux 2023, or Bottlerocket's TOML settings. Capacity and allocatable follow Stevedore's own capacity model
// (pkg/aws/instancetype), so a sandbox Node looks as the controller predicted; an instance launched with no
// user data gets the model's defaults and no extra labels or taints.
//
// Hooks must not block the simulator, so the hooks only record what each instance should have and a work
// queue, drained by Run, makes the API calls, retrying with backoff while the API server is unavailable.
//
// The package must not import Stevedore's controllers or cloud provider: it plays a part of the node, and
// knows only what the instance knows about itself.
package kubelet
