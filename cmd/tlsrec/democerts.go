package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"time"
)

// The demo's PKI: an Ed25519 root and leaf from fixed seeds, with fixed
// dates. Ed25519 signatures are deterministic and always 64 bytes, so
// every handshake record has the same length on every run: the demo's
// golden output depends on it (testpeer's ECDSA certificates differ in
// length from run to run).
var (
	demoNotBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	demoNotAfter  = time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC)
)

type demoPKI struct {
	roots *x509.CertPool
	leaf  tls.Certificate
}

var getDemoPKI = sync.OnceValues(func() (*demoPKI, error) {
	rootKey := ed25519.NewKeyFromSeed(seed("tlsrec demo root"))
	leafKey := ed25519.NewKeyFromSeed(seed("tlsrec demo leaf"))
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tlsrec demo root"},
		NotBefore: demoNotBefore, NotAfter: demoNotAfter,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	rootDER, err := x509.CreateCertificate(nil, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: demoNotBefore, NotAfter: demoNotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(nil, leafTmpl, root, leafKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	pki := &demoPKI{roots: x509.NewCertPool(), leaf: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}
	pki.roots.AddCert(root)
	return pki, nil
})

func seed(label string) []byte {
	s := sha256.Sum256([]byte(label))
	return s[:]
}
