package conn_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/record"
)

func TestSuitesAgainstGo(t *testing.T) {
	t.Parallel()
	for _, id := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256} {
		t.Run(tls.CipherSuiteName(id), func(t *testing.T) {
			t.Parallel()
			s := serveGo(t, serverConfig(t, "ecdsa"), echo)
			cfg := clientConfig(t)
			cfg.CipherSuites = []uint16{id}
			c, err := dialGo(t, s, cfg)
			require.NoError(t, err)
			cs := c.ConnectionState()
			require.Equal(t, id, cs.CipherSuite)
			require.Equal(t, uint16(tls.VersionTLS13), cs.Version)
			require.True(t, cs.HandshakeComplete)
			roundTrip(t, c, "hello, "+tls.CipherSuiteName(id))
			echoMiB(t, c)
		})
	}
}

func TestGroupsAndHelloRetryRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		server  tls.CurveID
		wantHRR bool
	}{
		{"X25519MLKEM768", tls.X25519MLKEM768, false},
		{"X25519", tls.X25519, false},
		{"P256-HRR", tls.CurveP256, true},
		{"P384-HRR", tls.CurveP384, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scfg := serverConfig(t, "ecdsa")
			scfg.CurvePreferences = []tls.CurveID{tc.server}
			s := serveGo(t, scfg, echo)
			c, err := dialGo(t, s, clientConfig(t))
			require.NoError(t, err)
			cs := c.ConnectionState()
			require.Equal(t, tc.server, cs.CurveID)
			require.Equal(t, tc.wantHRR, cs.HelloRetryRequest)
			roundTrip(t, c, "group "+tc.name)
		})
	}
}

func TestCertificateKinds(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"ecdsa", "rsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s := serveGo(t, serverConfig(t, kind), echo)
			c, err := dialGo(t, s, clientConfig(t))
			require.NoError(t, err)
			cs := c.ConnectionState()
			require.Len(t, cs.PeerCertificates, 1)
			require.NotEmpty(t, cs.VerifiedChains)
			require.Equal(t, testHost, cs.ServerName)
			roundTrip(t, c, kind)
		})
	}
}

// Client certificates on both versions. The server judges a missing one
// after our Finished in TLS 1.3 (certificate_required comes on Read) and
// before its own in TLS 1.2 (handshake_failure fails the handshake).
func TestClientCertificates(t *testing.T) {
	t.Parallel()
	p := getPKI(t)
	for _, v := range []struct {
		version uint16
		kind    string            // server certificate
		missing alert.Description // the server's alert when a required certificate is missing
	}{
		{tls.VersionTLS13, "ecdsa", alert.CertificateRequired},
		{tls.VersionTLS12, "rsa", alert.HandshakeFailure},
	} {
		for _, tc := range []struct {
			name string
			auth tls.ClientAuthType
			give bool
		}{
			{"requested-given", tls.RequestClientCert, true},
			{"requested-none", tls.RequestClientCert, false},
			{"required-given", tls.RequireAndVerifyClientCert, true},
			{"required-none", tls.RequireAndVerifyClientCert, false},
		} {
			t.Run(tls.VersionName(v.version)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				scfg := serverConfig(t, v.kind)
				scfg.MinVersion, scfg.MaxVersion = v.version, v.version
				scfg.ClientAuth = tc.auth
				scfg.ClientCAs = p.roots
				var (
					mu   sync.Mutex
					seen [][]*x509.Certificate
				)
				s := serveGo(t, scfg, func(c *tls.Conn) error {
					mu.Lock()
					seen = append(seen, c.ConnectionState().PeerCertificates)
					mu.Unlock()
					return echo(c)
				})
				cfg := clientConfig(t)
				var info *tls.CertificateRequestInfo
				cfg.GetClientCertificate = func(i *tls.CertificateRequestInfo) (*tls.Certificate, error) {
					info = i
					if !tc.give {
						return &tls.Certificate{}, nil
					}
					return &p.client, nil
				}
				c, err := dialGo(t, s, cfg)
				if tc.auth == tls.RequireAndVerifyClientCert && !tc.give {
					if v.version == tls.VersionTLS13 {
						require.NoError(t, err) // the client finishes before the server judges
						_, err = c.Read(make([]byte, 1))
					}
					var ae *alert.Error
					require.ErrorAs(t, err, &ae)
					require.True(t, ae.Remote)
					require.ErrorIs(t, err, v.missing)
					return
				}
				require.NoError(t, err)
				require.Equal(t, v.version, info.Version)
				require.Contains(t, info.SignatureSchemes, tls.ECDSAWithP256AndSHA256)
				roundTrip(t, c, tc.name)
				require.NoError(t, c.Close())
				require.NoError(t, s.nextErr(t))
				mu.Lock()
				defer mu.Unlock()
				require.Len(t, seen, 1)
				if tc.give {
					require.Len(t, seen[0], 1)
					require.True(t, seen[0][0].Equal(p.client.Leaf), "the server verified our CertificateVerify")
				} else {
					require.Empty(t, seen[0])
				}
				if tc.auth == tls.RequireAndVerifyClientCert {
					require.Equal(t, [][]byte{p.caCert.RawSubject}, info.AcceptableCAs, "certificate_authorities reach the callback")
				}
			})
		}
	}
}

func TestALPN(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name    string
		server  func(t *testing.T, kind string) *tls.Config
		version uint16
	}{{"tls13", serverConfig, tls.VersionTLS13}, {"tls12", serverConfig12, tls.VersionTLS12}} {
		t.Run(v.name+"/agreed", func(t *testing.T) {
			t.Parallel()
			scfg := v.server(t, "ecdsa")
			scfg.NextProtos = []string{"h2", "http/1.1"}
			s := serveGo(t, scfg, echo)
			cfg := clientConfig(t)
			cfg.NextProtos = []string{"http/1.1"}
			c, err := dialGo(t, s, cfg)
			require.NoError(t, err)
			require.Equal(t, v.version, c.ConnectionState().Version)
			require.Equal(t, "http/1.1", c.ConnectionState().NegotiatedProtocol)
		})
		t.Run(v.name+"/refused", func(t *testing.T) {
			t.Parallel()
			scfg := v.server(t, "ecdsa")
			scfg.NextProtos = []string{"h2"}
			s := serveGo(t, scfg, echo)
			cfg := clientConfig(t)
			cfg.NextProtos = []string{"spdy/1"}
			_, err := dialGo(t, s, cfg)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae)
			require.True(t, ae.Remote)
			require.ErrorIs(t, err, alert.NoApplicationProtocol)
			require.EqualError(t, err, "remote error: tls: no_application_protocol")
		})
	}
}

func TestSNI(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	scfg := serverConfig(t, "ecdsa")
	scfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		got <- hello.ServerName
		return nil, nil
	}
	s := serveGo(t, scfg, echo)
	_, err := dialGo(t, s, clientConfig(t))
	require.NoError(t, err)
	require.Equal(t, testHost, <-got)

	// An IP address is never sent as SNI (RFC 6066, Section 3).
	cfg := clientConfig(t)
	cfg.ServerName = "127.0.0.1"
	_, err = dialGo(t, s, cfg)
	require.NoError(t, err, "the certificate has the IP SAN")
	require.Equal(t, "", <-got)
}

func TestBadCertificates(t *testing.T) {
	t.Parallel()
	p := getPKI(t)
	for _, tc := range []struct {
		name         string
		cert         tls.Certificate
		serverName   string
		roots        *x509.CertPool
		wantAlert    alert.Description
		serverReport string
	}{
		{"expired", p.expired, testHost, p.roots, alert.CertificateExpired, "remote error: tls: expired certificate"},
		{"untrusted", p.leaves["ecdsa"], testHost, x509.NewCertPool(), alert.UnknownCA, "remote error: tls: unknown certificate authority"},
		{"wrong-host", p.leaves["ecdsa"], "other.test", p.roots, alert.BadCertificate, "remote error: tls: bad certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serveGo(t, &tls.Config{Certificates: []tls.Certificate{tc.cert}}, echo)
			cfg := &conn.Config{ServerName: tc.serverName, RootCAs: tc.roots}
			_, err := dialGo(t, s, cfg)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae)
			require.False(t, ae.Remote)
			require.Equal(t, alert.Fatal, ae.Alert.Level)
			require.ErrorIs(t, err, tc.wantAlert)
			require.EqualError(t, s.nextErr(t), tc.serverReport)
		})
	}
}

// recordingConn keeps every byte the client writes.
type recordingConn struct {
	net.Conn
	written bytes.Buffer
}

func (r *recordingConn) Write(p []byte) (int, error) {
	r.written.Write(p)
	return r.Conn.Write(p)
}

func TestFixedRandReplaysClientHello(t *testing.T) {
	t.Parallel()
	hello := func() []byte {
		client, server := net.Pipe()
		defer client.Close()
		defer server.Close()
		rec := &recordingConn{Conn: client}
		cfg := clientConfig(t)
		cfg.Rand = rand.NewChaCha8([32]byte{'t', 'l', 's'})
		c := conn.Client(rec, cfg)
		go func() {
			// Read the first flight, then hang up.
			buf := make([]byte, 4096)
			server.SetReadDeadline(time.Now().Add(5 * time.Second))
			io.ReadAtLeast(server, buf, 1)
			server.Close()
		}()
		err := c.Handshake()
		require.ErrorIs(t, err, conn.ErrTruncated)
		return rec.written.Bytes()
	}
	first, second := hello(), hello()
	require.Greater(t, len(first), 1000, "ClientHello with an ML-KEM share")
	require.Equal(t, first, second)
}

// VerifyConnection runs once the server has proved its key (TLS 1.3:
// CertificateVerify; TLS 1.2: the ServerKeyExchange signature), before its
// Finished, and sees crypto/tls's ConnectionState; its error is our
// bad_certificate unless it wraps an alert.Description, and the handshake
// error wraps it.
func TestVerifyConnection(t *testing.T) {
	t.Parallel()
	errNotThis := errors.New("not this one")
	for _, tc := range []struct {
		name      string
		server    *tls.Config
		suite     uint16
		version   uint16
		err       error
		wantAlert alert.Description
		peerErr   string
	}{
		{"tls13", serverConfig(t, "rsa"), tls.TLS_CHACHA20_POLY1305_SHA256, tls.VersionTLS13,
			errNotThis, alert.BadCertificate, "remote error: tls: bad certificate"},
		{"tls12", serverConfig12(t, "rsa"), tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.VersionTLS12,
			errNotThis, alert.BadCertificate, "remote error: tls: bad certificate"},
		{"tls13-own-alert", serverConfig(t, "rsa"), tls.TLS_CHACHA20_POLY1305_SHA256, tls.VersionTLS13,
			fmt.Errorf("pinned key mismatch: %w", alert.AccessDenied), alert.AccessDenied, "remote error: tls: access denied"},
		{"tls12-own-alert", serverConfig12(t, "rsa"), tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.VersionTLS12,
			fmt.Errorf("pinned key mismatch: %w", alert.AccessDenied), alert.AccessDenied, "remote error: tls: access denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serveGo(t, tc.server, echo)
			var seen tls.ConnectionState
			cfg := clientConfig(t)
			cfg.CipherSuites = []uint16{tc.suite}
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				seen = cs
				return tc.err
			}
			_, err := dialGo(t, s, cfg)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae)
			require.False(t, ae.Remote)
			require.Equal(t, tc.wantAlert, ae.Alert.Description)
			require.ErrorIs(t, err, tc.wantAlert)
			require.ErrorIs(t, err, tc.err)
			require.NotContains(t, err.Error(), "tls: tls:")
			require.Equal(t, tc.version, seen.Version)
			require.Equal(t, tc.suite, seen.CipherSuite)
			require.Len(t, seen.PeerCertificates, 1)
			require.False(t, seen.HandshakeComplete)
			require.Nil(t, seen.TLSUnique, "tls-unique is known after the Finished messages only")
			require.EqualError(t, s.nextErr(t), tc.peerErr)
		})
	}
}

// A certificate's SupportedSignatureAlgorithms restricts what its key signs
// (crypto/tls's field): a P-256 key limited to ecdsa_secp384r1_sha384 cannot
// answer a TLS 1.3 request, so the client sends no certificate.
func TestClientCertificateSupportedSignatureAlgorithms(t *testing.T) {
	t.Parallel()
	p := getPKI(t)
	for _, tc := range []struct {
		schemes []tls.SignatureScheme
		ok      bool
	}{
		{[]tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}, true},
		{[]tls.SignatureScheme{tls.ECDSAWithP384AndSHA384}, false},
	} {
		scfg := serverConfig(t, "ecdsa")
		scfg.ClientAuth = tls.RequireAndVerifyClientCert
		scfg.ClientCAs = p.roots
		s := serveGo(t, scfg, echo)
		cfg := clientConfig(t)
		cert := p.client
		cert.SupportedSignatureAlgorithms = tc.schemes
		cfg.Certificates = []tls.Certificate{cert}
		c, err := dialGo(t, s, cfg)
		require.NoError(t, err)
		if tc.ok {
			roundTrip(t, c, "restricted certificate")
			continue
		}
		_, err = c.Read(make([]byte, 1))
		require.ErrorIs(t, err, alert.CertificateRequired, "%v", tc.schemes)
	}
}

// MaxFragment caps the plaintext of every record we send: 1000 bytes go out
// as ten records of at most 100 (plus TLS 1.3's content type and tag).
func TestMaxFragment(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	var mu sync.Mutex
	var sizes []int
	cfg := clientConfig(t)
	cfg.MaxFragment = 100
	cfg.Trace = &conn.Trace{RecordWritten: func(r conn.RecordInfo) {
		if r.Inner == record.ApplicationData {
			mu.Lock()
			sizes = append(sizes, r.Length)
			mu.Unlock()
		}
	}}
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	roundTrip(t, c, strings.Repeat("x", 1000))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, sizes, 10)
	for _, n := range sizes {
		require.Equal(t, 100+1+16, n, "100 bytes, the content type, the AEAD tag")
	}
}

// Knob values that cannot work fail before any byte is sent.
func TestConfigKnobsRejected(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(*conn.Config){
		"MaxFragment too small":  func(c *conn.Config) { c.MaxFragment = 63 },
		"MaxFragment too large":  func(c *conn.Config) { c.MaxFragment = 16385 },
		"KeyShareGroups unknown": func(c *conn.Config) { c.KeyShareGroups = []tls.CurveID{tls.CurveP521} },
		"KeyShareGroups not enabled": func(c *conn.Config) {
			c.CurvePreferences = []tls.CurveID{tls.X25519}
			c.KeyShareGroups = []tls.CurveID{tls.CurveP256}
		},
	} {
		client, server := net.Pipe()
		cfg := &conn.Config{InsecureSkipVerify: true}
		edit(cfg)
		err := conn.Client(client, cfg).Handshake()
		require.Error(t, err, name)
		require.Contains(t, err.Error(), "tls: ", name)
		client.Close()
		server.Close()
	}
}
