package testpeer

import (
	"crypto"
	"crypto/ecdsa"
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
	"time"
)

// ServerName is the name the test certificates are issued to, besides
// 127.0.0.1 and ::1.
const ServerName = "localhost"

// certs are made once per process: an ECDSA P-256 root, and ECDSA P-256
// and RSA-2048 leaves it signs. Made at run time, they never expire in a
// checkout.
type certs struct {
	roots     *x509.CertPool
	rootPEM   []byte
	ecdsa     tls.Certificate
	rsa       tls.Certificate
	ecdsaPEMs [2][]byte // certificate, key
	rsaPEMs   [2][]byte
}

var testCerts = sync.OnceValue(func() *certs {
	c, err := makeCerts()
	if err != nil {
		panic("testpeer: making test certificates: " + err.Error())
	}
	return c
})

// Roots returns a pool holding the root of the test certificates.
func Roots() *x509.CertPool { return testCerts().roots }

// ECDSACertificate returns the ECDSA P-256 leaf for ServerName.
func ECDSACertificate() tls.Certificate { return testCerts().ecdsa }

// RSACertificate returns the RSA-2048 leaf for ServerName.
func RSACertificate() tls.Certificate { return testCerts().rsa }

// CertFiles are the PEM files WriteCertFiles writes.
type CertFiles struct {
	Root                string
	ECDSACert, ECDSAKey string
	RSACert, RSAKey     string
}

// WriteCertFiles writes the root and both leaves into dir as PEM files,
// for external servers and clients.
func WriteCertFiles(dir string) (CertFiles, error) {
	c := testCerts()
	f := CertFiles{
		Root:      filepath.Join(dir, "root.pem"),
		ECDSACert: filepath.Join(dir, "ecdsa-cert.pem"), ECDSAKey: filepath.Join(dir, "ecdsa-key.pem"),
		RSACert: filepath.Join(dir, "rsa-cert.pem"), RSAKey: filepath.Join(dir, "rsa-key.pem"),
	}
	files := map[string][]byte{
		f.Root: c.rootPEM, f.ECDSACert: c.ecdsaPEMs[0], f.ECDSAKey: c.ecdsaPEMs[1],
		f.RSACert: c.rsaPEMs[0], f.RSAKey: c.rsaPEMs[1],
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			return CertFiles{}, err
		}
	}
	return f, nil
}

func makeCerts() (*certs, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "testpeer root"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}
	c := &certs{roots: x509.NewCertPool(), rootPEM: pemBlock("CERTIFICATE", rootDER)}
	c.roots.AddCert(root)

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if c.ecdsa, c.ecdsaPEMs, err = leaf(root, rootKey, ecKey, 2); err != nil {
		return nil, err
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if c.rsa, c.rsaPEMs, err = leaf(root, rootKey, rsaKey, 3); err != nil {
		return nil, err
	}
	return c, nil
}

// leaf issues a server certificate for key, signed by the root.
func leaf(root *x509.Certificate, rootKey crypto.Signer, key crypto.Signer, serial int64) (tls.Certificate, [2][]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: ServerName},
		DNSNames:     []string{ServerName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    root.NotBefore,
		NotAfter:     root.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if _, ok := key.(*rsa.PrivateKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, key.Public(), rootKey)
	if err != nil {
		return tls.Certificate{}, [2][]byte{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, [2][]byte{}, err
	}
	pems := [2][]byte{pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", keyDER)}
	cert, err := tls.X509KeyPair(pems[0], pems[1])
	return cert, pems, err
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
