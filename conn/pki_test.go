package conn_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testPKI is a CA and leaf certificates for "example.test" and 127.0.0.1,
// one per key type, made once per test binary.
type testPKI struct {
	roots   *x509.CertPool
	caCert  *x509.Certificate
	caKey   crypto.Signer
	leaves  map[string]tls.Certificate // "ecdsa", "rsa", "ed25519"
	expired tls.Certificate
	client  tls.Certificate // a client certificate issued by the CA
}

const testHost = "example.test"

var (
	pkiOnce sync.Once
	pki     *testPKI
)

func getPKI(t *testing.T) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { pki = newPKI() })
	return pki
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func newPKI() *testPKI {
	caKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tlsrecord test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caCert := must(x509.ParseCertificate(must(x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey))))
	p := &testPKI{roots: x509.NewCertPool(), caCert: caCert, caKey: caKey, leaves: map[string]tls.Certificate{}}
	p.roots.AddCert(caCert)

	rsaKey := must(rsa.GenerateKey(rand.Reader, 2048))
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	ecKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	p.leaves["ecdsa"] = p.issue(ecKey, now.Add(24*time.Hour), x509.ExtKeyUsageServerAuth, 2)
	p.leaves["rsa"] = p.issue(rsaKey, now.Add(24*time.Hour), x509.ExtKeyUsageServerAuth, 3)
	p.leaves["ed25519"] = p.issue(edKey, now.Add(24*time.Hour), x509.ExtKeyUsageServerAuth, 4)
	p.expired = p.issue(ecKey, now.Add(-time.Minute), x509.ExtKeyUsageServerAuth, 5)
	clientKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	p.client = p.issue(clientKey, now.Add(24*time.Hour), x509.ExtKeyUsageClientAuth, 6)
	return p
}

func (p *testPKI) issue(key crypto.Signer, notAfter time.Time, eku x509.ExtKeyUsage, serial int64) tls.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: testHost},
		DNSNames:     []string{testHost},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-2 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{eku},
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, p.caCert, key.Public(), p.caKey))
	leaf := must(x509.ParseCertificate(der))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// writePEM writes cert, key and the CA to dir for the peer binaries and
// returns their paths.
func (p *testPKI) writePEM(t *testing.T, kind string) (certFile, keyFile, caFile string) {
	t.Helper()
	dir := t.TempDir()
	c := p.leaves[kind]
	certFile, keyFile, caFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.caCert.Raw}), 0o600))
	return certFile, keyFile, caFile
}
