package controlplane

import (
	"fmt"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// clusterName names the cluster, user and context in every kubeconfig the control plane writes.
const clusterName = "stevedore-sandbox"

// writeKubeconfig writes a kubeconfig for the credential named user, reaching the API server at server. The
// certificates are embedded so the file can be copied elsewhere on the machine and still work. Files are
// rewritten on every start because the API server's port is chosen afresh.
func writeKubeconfig(path, server string, ca, user *keyPair) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca.certPEM}
	cfg.AuthInfos[clusterName] = &clientcmdapi.AuthInfo{ClientCertificateData: user.certPEM, ClientKeyData: user.keyPEM}
	cfg.Contexts[clusterName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: clusterName}
	cfg.CurrentContext = clusterName
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// writeKubeconfigs writes the admin kubeconfig at stateDir/kubeconfig and one per component under
// stateDir/kubeconfigs, returning the component paths by credential name.
func writeKubeconfigs(stateDir, server string, p *pki) (admin string, components map[string]string, err error) {
	admin = filepath.Join(stateDir, "kubeconfig")
	if err := writeKubeconfig(admin, server, p.ca, p.leaves["admin"]); err != nil {
		return "", nil, err
	}
	components = map[string]string{}
	for _, name := range []string{"kube-scheduler", "kube-controller-manager"} {
		path := filepath.Join(stateDir, "kubeconfigs", name+".kubeconfig")
		if err := writeKubeconfig(path, server, p.ca, p.leaves[name]); err != nil {
			return "", nil, err
		}
		components[name] = path
	}
	return admin, components, nil
}

// restConfig builds a client configuration from a kubeconfig, with limits raised because the sandbox's own
// controllers and tests create objects in bursts.
func restConfig(kubeconfig string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	return cfg, nil
}
