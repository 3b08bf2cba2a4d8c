// Package samples proves the YAML samples the website publishes (website/content/docs/samples) against a real
// kube-apiserver with Stevedore's CRDs installed: every sample in that directory is accepted, and every sample
// in its invalid/ directory is rejected with the messages its "# expect:" comments name. It holds tests only;
// it imports pkg/test and the Kubernetes client libraries, never a controller or the cloud provider.
package samples
