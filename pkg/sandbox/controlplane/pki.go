package controlplane

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is long because a sandbox's state directory may be reused for months; nothing rotates these.
const certValidity = 10 * 365 * 24 * time.Hour

// keyPair is a certificate and its private key, kept both parsed and as the PEM written to disk.
type keyPair struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
	keyPEM  []byte
}

// certSpec describes a certificate the control plane needs; file is the base name under the pki directory.
type certSpec struct {
	file string
	cn   string
	orgs []string
	// server certificates carry SANs; client certificates carry none.
	server bool
}

// pki is every credential the components share: the cluster CA, leaf certificates by file name, and the
// service-account signing key.
type pki struct {
	dir    string
	ca     *keyPair
	leaves map[string]*keyPair
	saKey  string
	saPub  string
}

// serviceIP is the first address of the service range, which the apiserver claims for kubernetes.default.
const serviceIP = "10.0.0.1"

func certSpecs() []certSpec {
	return []certSpec{
		{file: "apiserver", cn: "kube-apiserver", server: true},
		{file: "admin", cn: "sandbox-admin", orgs: []string{"system:masters"}},
		{file: "kube-scheduler", cn: "system:kube-scheduler"},
		{file: "kube-controller-manager", cn: "system:kube-controller-manager"},
	}
}

// loadOrCreatePKI reads the credentials under dir, creating whichever are missing. Reusing them keeps existing
// kubeconfigs and service-account tokens valid across restarts of the same state directory.
func loadOrCreatePKI(dir string, now time.Time) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	p := &pki{dir: dir, leaves: map[string]*keyPair{}}
	ca, err := loadKeyPair(dir, "ca")
	if err != nil {
		return nil, err
	}
	if ca == nil {
		if ca, err = newKeyPair(certSpec{file: "ca", cn: "stevedore-sandbox-ca"}, nil, now); err != nil {
			return nil, err
		}
		if err := ca.write(dir, "ca"); err != nil {
			return nil, err
		}
	}
	p.ca = ca
	for _, s := range certSpecs() {
		kp, err := loadKeyPair(dir, s.file)
		if err != nil {
			return nil, err
		}
		if kp == nil {
			if kp, err = newKeyPair(s, ca, now); err != nil {
				return nil, err
			}
			if err := kp.write(dir, s.file); err != nil {
				return nil, err
			}
		}
		p.leaves[s.file] = kp
	}
	if err := p.loadOrCreateServiceAccountKey(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pki) loadOrCreateServiceAccountKey() error {
	p.saKey, p.saPub = filepath.Join(p.dir, "sa.key"), filepath.Join(p.dir, "sa.pub")
	if _, err := os.Stat(p.saKey); err == nil {
		if _, err := os.Stat(p.saPub); err == nil {
			return nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating the service-account key: %w", err)
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("encoding the service-account public key: %w", err)
	}
	if err := os.WriteFile(p.saKey, keyPEM, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", p.saKey, err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	if err := os.WriteFile(p.saPub, pubPEM, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", p.saPub, err)
	}
	return nil
}

// certFile and keyFile name the PEM files of a credential, for component flags.
func (p *pki) certFile(name string) string { return filepath.Join(p.dir, name+".crt") }
func (p *pki) keyFile(name string) string  { return filepath.Join(p.dir, name+".key") }

// newKeyPair creates a key and a certificate signed by ca, or a self-signed CA when ca is nil.
func newKeyPair(s certSpec, ca *keyPair, now time.Time) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the key for %s: %w", s.file, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("choosing a serial number for %s: %w", s.file, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.orgs},
		// Backdated so a clock a little behind the signer's still accepts it.
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(certValidity),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	parent, signer := tmpl, crypto.Signer(key)
	switch {
	case ca == nil:
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	case s.server:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(serviceIP)}
		parent, signer = ca.cert, ca.key
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("signing the certificate for %s: %w", s.file, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate for %s: %w", s.file, err)
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return nil, err
	}
	return &keyPair{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  keyPEM,
	}, nil
}

func marshalKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func (kp *keyPair) write(dir, name string) error {
	// The key goes first: a crash between the two writes leaves no certificate, so the pair is made again.
	if err := os.WriteFile(filepath.Join(dir, name+".key"), kp.keyPEM, 0o600); err != nil {
		return fmt.Errorf("writing the key for %s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".crt"), kp.certPEM, 0o600); err != nil {
		return fmt.Errorf("writing the certificate for %s: %w", name, err)
	}
	return nil
}

// loadKeyPair returns nil without error when the certificate does not exist yet.
func loadKeyPair(dir, name string) (*keyPair, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, name+".crt"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the certificate for %s: %w", name, err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return nil, fmt.Errorf("reading the key for %s: %w", name, err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, fmt.Errorf("reading %s: not PEM; delete the state directory to start afresh", name)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate for %s: %w", name, err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the key for %s: %w", name, err)
	}
	return &keyPair{cert: cert, key: key, certPEM: certPEM, keyPEM: keyPEM}, nil
}
