package controlplane

import (
	_ "embed"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// kwokStages is the stage configuration kwok plays for fake nodes and pods; see the file for what each does.
//
//go:embed kwok-stages.yaml
var kwokStages []byte

const (
	// serviceCIDR holds the cluster's service IPs; serviceIP is its first address.
	serviceCIDR = "10.0.0.0/24"
	// podCIDR is where kwok draws pod IPs from; it must not overlap serviceCIDR.
	podCIDR = "10.244.0.0/16"
	// etcdPeerURL is advertised but never dialled: a one-member cluster has no peers, and listening on port 0
	// spares a second port that would have to be stable across restarts.
	etcdPeerURL = "http://127.0.0.1:2380"
)

// layout names the files and directories under the state directory.
type layout struct{ root string }

func (l layout) pki() string      { return filepath.Join(l.root, "pki") }
func (l layout) etcdData() string { return filepath.Join(l.root, "etcd") }
func (l layout) logs() string     { return filepath.Join(l.root, "logs") }
func (l layout) kwokConfig() string {
	return filepath.Join(l.root, "kwok.yaml")
}

// ports are the loopback ports the control plane listens on, chosen free at each start.
type ports struct {
	etcd, apiserver int
	// controllerManager and scheduler serve only /healthz (and metrics), which Start polls.
	controllerManager, scheduler int
}

func freePorts() (ports, error) {
	var got []int
	var listeners []net.Listener
	// Hold every listener until all are chosen so the kernel cannot hand the same port out twice.
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range 4 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("choosing a free port: %w", err)
		}
		listeners = append(listeners, l)
		got = append(got, l.Addr().(*net.TCPAddr).Port)
	}
	return ports{etcd: got[0], apiserver: got[1], controllerManager: got[2], scheduler: got[3]}, nil
}

func (p ports) etcdURL() string      { return "http://127.0.0.1:" + strconv.Itoa(p.etcd) }
func (p ports) apiserverURL() string { return "https://127.0.0.1:" + strconv.Itoa(p.apiserver) }

func healthzURL(port int) string { return "https://127.0.0.1:" + strconv.Itoa(port) + "/healthz" }

func etcdArgs(l layout, p ports) []string {
	return []string{
		"--name=sandbox",
		"--data-dir=" + l.etcdData(),
		"--listen-client-urls=" + p.etcdURL(),
		"--advertise-client-urls=" + p.etcdURL(),
		"--listen-peer-urls=http://127.0.0.1:0",
		"--initial-advertise-peer-urls=" + etcdPeerURL,
		"--initial-cluster=sandbox=" + etcdPeerURL,
		// The sandbox trades durability on power loss for speed; a crashed sandbox is recreated, not repaired.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}
}

func apiserverArgs(l layout, p ports, k *pki) []string {
	return []string{
		"--etcd-servers=" + p.etcdURL(),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The kubernetes service's endpoints may not name a loopback address, and nothing in the sandbox dials
		// the API through the service (components and the controller use kubeconfigs), so none are published.
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(p.apiserver),
		"--cert-dir=" + l.pki(),
		"--tls-cert-file=" + k.certFile("apiserver"),
		"--tls-private-key-file=" + k.keyFile("apiserver"),
		"--client-ca-file=" + k.certFile("ca"),
		"--service-cluster-ip-range=" + serviceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + k.saPub,
		"--service-account-signing-key-file=" + k.saKey,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--profiling=false",
	}
}

func controllerManagerArgs(l layout, p ports, kubeconfig string, k *pki) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.controllerManager),
		// Its self-signed serving certificate goes here rather than the working directory.
		"--cert-dir=" + filepath.Join(l.pki(), "kube-controller-manager-serving"),
		"--leader-elect=false",
		"--controllers=*",
		// Nodes are fake and pods get addresses from kwok, so nothing needs a per-node pod CIDR.
		"--allocate-node-cidrs=false",
		"--root-ca-file=" + k.certFile("ca"),
		"--service-account-private-key-file=" + k.saKey,
		"--use-service-account-credentials=true",
		// The defaults (20 QPS) pace start-up, where every controller fetches its own service-account token.
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--cluster-signing-cert-file=" + k.certFile("ca"),
		"--cluster-signing-key-file=" + k.keyFile("ca"),
		"--service-cluster-ip-range=" + serviceCIDR,
		"--profiling=false",
	}
}

func schedulerArgs(l layout, p ports, kubeconfig string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.scheduler),
		"--cert-dir=" + filepath.Join(l.pki(), "kube-scheduler-serving"),
		"--leader-elect=false",
		"--profiling=false",
	}
}

// nodeLeaseSeconds matches the kubelet's default, so node lifecycle timing in the sandbox is the real one.
const nodeLeaseSeconds = 40

func kwokArgs(l layout, kubeconfig, annotation string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + l.kwokConfig(),
		"--manage-nodes-with-annotation-selector=" + annotation,
		"--cidr=" + podCIDR,
		"--node-lease-duration-seconds=" + strconv.Itoa(nodeLeaseSeconds),
	}
}

// writeKwokConfig writes the stages kwok reads; it is rewritten each start so an upgrade takes effect.
func writeKwokConfig(l layout) error {
	if err := os.WriteFile(l.kwokConfig(), kwokStages, 0o600); err != nil {
		return fmt.Errorf("writing the kwok configuration: %w", err)
	}
	return nil
}
