// Package userdata renders the EC2 user data that joins an instance to the cluster: for AL2023 a MIME
// multipart document whose Stevedore part is a nodeadm NodeConfig (cluster, kubelet configuration, labels and
// taints), after the user's own parts; for Bottlerocket its TOML settings. Output is deterministic, so launch
// templates can be keyed by it.
package userdata
