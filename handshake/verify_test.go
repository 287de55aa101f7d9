package handshake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/alert"
)

// The test PKI is valid during 2026; verification runs at pkiNow.
var (
	pkiNotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pkiNotAfter  = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	pkiNow       = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
)

type testCert struct {
	der  []byte
	cert *x509.Certificate
	key  crypto.Signer // nil for the fake big-RSA leaves
}

// testPKIs holds every key and certificate the verify and signature tests
// use, generated once per test binary (RSA generation is slow).
type testPKIs struct {
	p256, p384, p521 *ecdsa.PrivateKey
	rsa2048          *rsa.PrivateKey
	ed25519          ed25519.PrivateKey

	root, otherRoot, intermediate                       *testCert
	leafEd25519, leafECDSA, leafRSA, leafIP, leafClient *testCert
	leafRSA8192, leafRSA8193                            *testCert
}

var testPKI = sync.OnceValue(func() *testPKIs {
	var p testPKIs
	p.p256 = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	p.p384 = must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	p.p521 = must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader))
	p.rsa2048 = must(rsa.GenerateKey(rand.Reader, 2048))
	_, p.ed25519 = must2(ed25519.GenerateKey(rand.Reader))

	rootKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	p.root = issue(caTemplate("Test Root"), rootKey, nil)
	p.otherRoot = issue(caTemplate("Other Root"), must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)), nil)
	p.intermediate = issue(caTemplate("Test Intermediate"), p.rsa2048, p.root)

	p.leafEd25519 = issue(leafTemplate("ed25519.example"), p.ed25519, p.intermediate)
	p.leafECDSA = issue(leafTemplate("ecdsa.example"), p.p384, p.root)
	p.leafRSA = issue(leafTemplate("rsa.example"), p.rsa2048, p.root)
	ip := leafTemplate("")
	ip.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	p.leafIP = issue(ip, p.p256, p.root)
	client := leafTemplate("client.example")
	client.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	p.leafClient = issue(client, p.p256, p.root)
	p.leafRSA8192 = issuePublic(leafTemplate("big.example"), fakeRSAKey(8192), p.root)
	p.leafRSA8193 = issuePublic(leafTemplate("big.example"), fakeRSAKey(8193), p.root)
	return &p
})

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

var serial int64

func nextSerial() *big.Int {
	serial++
	return big.NewInt(serial)
}

func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             pkiNotBefore,
		NotAfter:              pkiNotAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
}

func leafTemplate(dnsName string) *x509.Certificate {
	t := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: "leaf " + dnsName},
		NotBefore:    pkiNotBefore,
		NotAfter:     pkiNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if dnsName != "" {
		t.DNSNames = []string{dnsName}
	}
	return t
}

// issue signs tmpl for key with parent (self-signed when parent is nil).
func issue(tmpl *x509.Certificate, key crypto.Signer, parent *testCert) *testCert {
	c := issuePublic(tmpl, key.Public(), parent, key)
	c.key = key
	return c
}

// issuePublic signs tmpl for pub with parent; selfKey signs a self-signed
// certificate.
func issuePublic(tmpl *x509.Certificate, pub crypto.PublicKey, parent *testCert, selfKey ...crypto.Signer) *testCert {
	parentCert, signer := tmpl, crypto.Signer(nil)
	if parent != nil {
		parentCert, signer = parent.cert, parent.key
	} else {
		signer = selfKey[0]
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, parentCert, pub, signer))
	return &testCert{der: der, cert: must(x509.ParseCertificate(der))}
}

// fakeRSAKey returns an RSA public key with a bits-long odd modulus: good
// enough to be encoded in and parsed from a certificate, which is all the
// size limit needs, without generating an 8192-bit key.
func fakeRSAKey(bits int) *rsa.PublicKey {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: 65537}
}

func pool(certs ...*testCert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c.cert)
	}
	return p
}

func ders(certs ...*testCert) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.der
	}
	return out
}

func TestVerifyServerCertificates(t *testing.T) {
	t.Parallel()
	p := testPKI()
	roots := pool(p.root)
	later := func() time.Time { return pkiNotAfter.Add(time.Hour) }
	earlier := func() time.Time { return pkiNotBefore.Add(-time.Hour) }
	tests := []struct {
		name      string
		certs     [][]byte
		opts      VerifyOptions
		wantChain int // length of the first verified chain
		wantAlert alert.Description
	}{
		{"ed25519 leaf via rsa intermediate", ders(p.leafEd25519, p.intermediate), VerifyOptions{ServerName: "ed25519.example"}, 3, 0},
		{"ecdsa leaf", ders(p.leafECDSA), VerifyOptions{ServerName: "ecdsa.example"}, 2, 0},
		{"rsa leaf", ders(p.leafRSA), VerifyOptions{ServerName: "rsa.example"}, 2, 0},
		{"name case-insensitive", ders(p.leafRSA), VerifyOptions{ServerName: "RSA.Example"}, 2, 0},
		{"ipv4 san", ders(p.leafIP), VerifyOptions{ServerName: "127.0.0.1"}, 2, 0},
		{"ipv6 san", ders(p.leafIP), VerifyOptions{ServerName: "::1"}, 2, 0},
		{"rsa 8192 accepted", ders(p.leafRSA8192), VerifyOptions{ServerName: "big.example"}, 2, 0},
		{"empty list", nil, VerifyOptions{ServerName: "rsa.example"}, 0, alert.DecodeError},
		{"empty list insecure", [][]byte{}, VerifyOptions{InsecureSkipVerify: true}, 0, alert.DecodeError},
		{"garbage", [][]byte{[]byte("not a certificate")}, VerifyOptions{ServerName: "rsa.example"}, 0, alert.BadCertificate},
		{"garbage intermediate", [][]byte{p.leafRSA.der, {0x30, 0x00}}, VerifyOptions{ServerName: "rsa.example"}, 0, alert.BadCertificate},
		{"truncated", [][]byte{p.leafRSA.der[:len(p.leafRSA.der)-1]}, VerifyOptions{ServerName: "rsa.example"}, 0, alert.BadCertificate},
		{"rsa 8193 refused", ders(p.leafRSA8193), VerifyOptions{ServerName: "big.example"}, 0, alert.BadCertificate},
		{"rsa 8193 refused insecure", ders(p.leafRSA8193), VerifyOptions{InsecureSkipVerify: true}, 0, alert.BadCertificate},
		{"rsa 8193 intermediate refused", ders(p.leafRSA, p.leafRSA8193), VerifyOptions{ServerName: "rsa.example"}, 0, alert.BadCertificate},
		{"unknown ca", ders(p.leafRSA), VerifyOptions{ServerName: "rsa.example", Roots: pool(p.otherRoot)}, 0, alert.UnknownCA},
		{"missing intermediate", ders(p.leafEd25519), VerifyOptions{ServerName: "ed25519.example"}, 0, alert.UnknownCA},
		{"expired", ders(p.leafRSA), VerifyOptions{ServerName: "rsa.example", Time: later}, 0, alert.CertificateExpired},
		{"not yet valid", ders(p.leafRSA), VerifyOptions{ServerName: "rsa.example", Time: earlier}, 0, alert.CertificateExpired},
		{"wrong host", ders(p.leafRSA), VerifyOptions{ServerName: "other.example"}, 0, alert.BadCertificate},
		{"wrong ip", ders(p.leafIP), VerifyOptions{ServerName: "127.0.0.2"}, 0, alert.BadCertificate},
		{"ip not in dns san", ders(p.leafRSA), VerifyOptions{ServerName: "127.0.0.1"}, 0, alert.BadCertificate},
		{"client auth only", ders(p.leafClient), VerifyOptions{ServerName: "client.example"}, 0, alert.BadCertificate},
		{"empty server name", ders(p.leafRSA), VerifyOptions{}, 0, alert.BadCertificate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			if opts.Roots == nil {
				opts.Roots = roots
			}
			if opts.Time == nil {
				opts.Time = pkiNow
			}
			peer, chains, err := VerifyServerCertificates(tc.certs, opts)
			if tc.wantAlert != 0 {
				require.ErrorIs(t, err, tc.wantAlert)
				d, ok := alert.Of(err)
				require.True(t, ok)
				require.Equal(t, tc.wantAlert, d)
				require.Nil(t, peer)
				require.Nil(t, chains)
				return
			}
			require.NoError(t, err)
			require.Len(t, peer, len(tc.certs))
			require.Equal(t, tc.certs[0], peer[0].Raw)
			require.NotEmpty(t, chains)
			require.Len(t, chains[0], tc.wantChain)
			require.Equal(t, p.root.cert.Raw, chains[0][len(chains[0])-1].Raw)
		})
	}
}

func TestVerifyServerCertificatesErrorText(t *testing.T) {
	t.Parallel()
	p := testPKI()
	_, _, err := VerifyServerCertificates(ders(p.leafRSA), VerifyOptions{ServerName: "other.example", Roots: pool(p.root), Time: pkiNow})
	var hostErr x509.HostnameError
	require.ErrorAs(t, err, &hostErr, "the x509 cause stays reachable")
	require.Contains(t, err.Error(), "tls: failed to verify certificate: x509: certificate is valid for rsa.example")

	_, _, err = VerifyServerCertificates(ders(p.leafRSA), VerifyOptions{Roots: pool(p.root), Time: pkiNow})
	require.ErrorIs(t, err, ErrNoServerName)

	_, _, err = VerifyServerCertificates(nil, VerifyOptions{ServerName: "x"})
	require.EqualError(t, err, "tls: empty server Certificate (decode_error)")
}

// TestVerifyServerCertificatesInsecure: only parsing, whatever the CA,
// name and time; no chains.
func TestVerifyServerCertificatesInsecure(t *testing.T) {
	t.Parallel()
	p := testPKI()
	expired := func() time.Time { return pkiNotAfter.Add(time.Hour) }
	peer, chains, err := VerifyServerCertificates(ders(p.leafEd25519, p.otherRoot), VerifyOptions{
		InsecureSkipVerify: true, Roots: pool(p.otherRoot), Time: expired,
	})
	require.NoError(t, err)
	require.Nil(t, chains)
	require.Len(t, peer, 2)
	require.Equal(t, p.leafEd25519.cert.PublicKey, peer[0].PublicKey)
	require.Equal(t, p.otherRoot.der, peer[1].Raw)
}

// TestVerifyServerCertificatesRFC8448 parses the trace's self-signed
// 1024-bit RSA server certificate under InsecureSkipVerify (it has no SAN
// and expired on 2026-07-30).
func TestVerifyServerCertificatesRFC8448(t *testing.T) {
	t.Parallel()
	der := rfc8448CertDER(t)
	peer, _, err := VerifyServerCertificates([][]byte{der}, VerifyOptions{InsecureSkipVerify: true})
	require.NoError(t, err)
	require.Equal(t, 1024, peer[0].PublicKey.(*rsa.PublicKey).N.BitLen())

	// Verified as its own root inside its validity it fails on the name
	// only: it has a CN and no SAN.
	inside := func() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }
	roots := x509.NewCertPool()
	roots.AddCert(peer[0])
	_, _, err = VerifyServerCertificates([][]byte{der}, VerifyOptions{ServerName: "rsa", Roots: roots, Time: inside})
	require.ErrorIs(t, err, alert.BadCertificate)
	var hostErr x509.HostnameError
	require.ErrorAs(t, err, &hostErr)
}

// TestVerifyServerCertificatesKeyUsage: a leaf whose keyUsage lacks
// digitalSignature may not sign the handshake, verified chain or not.
func TestVerifyServerCertificatesKeyUsage(t *testing.T) {
	t.Parallel()
	p := testPKI()
	for _, key := range []crypto.Signer{p.p256, p.rsa2048} {
		tmpl := leafTemplate("usage.example")
		tmpl.KeyUsage = x509.KeyUsageKeyEncipherment
		leaf := issue(tmpl, key, p.root)
		for _, insecure := range []bool{false, true} {
			_, _, err := VerifyServerCertificates(ders(leaf), VerifyOptions{
				ServerName: "usage.example", Roots: pool(p.root), Time: pkiNow, InsecureSkipVerify: insecure,
			})
			require.ErrorIs(t, err, alert.BadCertificate, "%T key, InsecureSkipVerify %v", key, insecure)
			require.ErrorContains(t, err, "digitalSignature")
		}
		// No keyUsage extension at all restricts nothing.
		tmpl.KeyUsage = 0
		_, _, err := VerifyServerCertificates(ders(issue(tmpl, key, p.root)), VerifyOptions{
			ServerName: "usage.example", Roots: pool(p.root), Time: pkiNow,
		})
		require.NoError(t, err)
	}
}
