package controlplane

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"
)

func TestPKIIsReusedAndCertificatesFitTheirUse(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first, err := loadOrCreatePKI(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := loadOrCreatePKI(dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !first.ca.cert.Equal(second.ca.cert) || !first.leaves["admin"].cert.Equal(second.leaves["admin"].cert) {
		t.Error("a second load made new certificates; existing kubeconfigs would stop working")
	}

	roots := x509.NewCertPool()
	roots.AddCert(first.ca.cert)
	server := first.leaves["apiserver"].cert
	for _, name := range []string{"127.0.0.1", "localhost", "kubernetes", "kubernetes.default.svc", serviceIP} {
		if _, err := server.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, CurrentTime: now}); err != nil {
			t.Errorf("serving certificate does not verify for %s: %v", name, err)
		}
	}
	clients := map[string]struct{ cn, org string }{
		"admin":                   {"sandbox-admin", "system:masters"},
		"kube-scheduler":          {"system:kube-scheduler", ""},
		"kube-controller-manager": {"system:kube-controller-manager", ""},
	}
	for file, want := range clients {
		c := first.leaves[file].cert
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s: not a client certificate of the CA: %v", file, err)
		}
		if c.Subject.CommonName != want.cn || (want.org != "" && !slices.Contains(c.Subject.Organization, want.org)) {
			t.Errorf("%s: subject %v, want CN=%s O=%s", file, c.Subject, want.cn, want.org)
		}
	}
}
