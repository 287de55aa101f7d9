package conn_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/record"
)

// TLS 1.2 against in-process crypto/tls servers limited to TLS 1.2; our
// client offers 1.3 and 1.2 unless a test says otherwise.

func serverConfig12(t *testing.T, kind string) *tls.Config {
	cfg := serverConfig(t, kind)
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	return cfg
}

// suites12 maps each TLS 1.2 suite to the certificate kind it needs.
var suites12 = []struct {
	id   uint16
	kind string
}{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ecdsa"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "rsa"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ecdsa"},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "rsa"},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ecdsa"},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "rsa"},
}

func TestTLS12SuitesAgainstGo(t *testing.T) {
	t.Parallel()
	rows := append(suites12[:len(suites12):len(suites12)], struct {
		id   uint16
		kind string
	}{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ed25519"}) // EdDSA keys serve ECDHE_ECDSA (RFC 8422, Section 5.3)
	for _, tc := range rows {
		t.Run(tls.CipherSuiteName(tc.id)+"/"+tc.kind, func(t *testing.T) {
			t.Parallel()
			scfg := serverConfig12(t, tc.kind)
			scfg.CipherSuites = []uint16{tc.id}
			s := serveGo(t, scfg, echo)
			c, err := dialGo(t, s, clientConfig(t))
			require.NoError(t, err)
			cs := c.State()
			require.Equal(t, uint16(tls.VersionTLS12), cs.Version)
			require.Equal(t, tc.id, cs.CipherSuite)
			require.Equal(t, tls.X25519, cs.CurveID)
			require.True(t, cs.ExtendedMasterSecret)
			require.True(t, cs.SecureRenegotiation)
			require.True(t, cs.HandshakeComplete)
			require.NotEmpty(t, cs.VerifiedChains)
			roundTrip(t, c, "hello, "+tls.CipherSuiteName(tc.id))
			echoMiB(t, c)
			require.NoError(t, c.Close())
			require.NoError(t, s.nextErr(t))
		})
	}
}

// Our CipherSuites order is our preference, and a server that prefers its
// own order still picks among the offered TLS 1.2 suites.
func TestTLS12SuitePreference(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig12(t, "ecdsa"), echo)
	cfg := clientConfig(t)
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_AES_128_GCM_SHA256}
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	require.Equal(t, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, c.ConnectionState().CipherSuite)
}

func TestTLS12Curves(t *testing.T) {
	t.Parallel()
	for _, curve := range []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384} {
		t.Run(curve.String(), func(t *testing.T) {
			t.Parallel()
			scfg := serverConfig12(t, "ecdsa")
			scfg.CurvePreferences = []tls.CurveID{curve}
			s := serveGo(t, scfg, echo)
			c, err := dialGo(t, s, clientConfig(t))
			require.NoError(t, err)
			require.Equal(t, curve, c.ConnectionState().CurveID)
			require.False(t, c.State().HelloRetryRequest)
			roundTrip(t, c, "curve "+curve.String())
		})
	}
}

// A client limited to TLS 1.2 sends no TLS 1.3 extension and still talks
// to a TLS 1.3 server, which answers 1.2 with the DOWNGRD\x01 sentinel a
// 1.2-only client ignores (RFC 8446, Section 4.1.3).
func TestTLS12OnlyClient(t *testing.T) {
	t.Parallel()
	var hello *tls.ClientHelloInfo
	scfg := serverConfig(t, "rsa")
	scfg.MinVersion = tls.VersionTLS12
	scfg.GetConfigForClient = func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		hello = chi
		return nil, nil
	}
	s := serveGo(t, scfg, echo)
	cfg := clientConfig(t)
	cfg.MaxVersion = tls.VersionTLS12
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	require.Equal(t, uint16(tls.VersionTLS12), c.ConnectionState().Version)
	// crypto/tls lists the versions up to legacy_version when the
	// supported_versions extension is absent.
	require.Equal(t, []uint16{tls.VersionTLS12, tls.VersionTLS11, tls.VersionTLS10}, hello.SupportedVersions, "no supported_versions without TLS 1.3")
	require.NotContains(t, hello.SupportedCurves, tls.X25519MLKEM768)
	require.Equal(t, []uint8{0}, hello.SupportedPoints)
	for _, id := range hello.CipherSuites {
		require.NotEqual(t, uint16(0x13), id>>8, "no TLS 1.3 suite offered")
	}
	roundTrip(t, c, "tls 1.2 only")
}

// Config.Certificates answers a CertificateRequest without a callback.
func TestTLS12ClientCertificateFromList(t *testing.T) {
	t.Parallel()
	p := getPKI(t)
	scfg := serverConfig12(t, "ecdsa")
	scfg.ClientAuth = tls.RequireAndVerifyClientCert
	scfg.ClientCAs = p.roots
	s := serveGo(t, scfg, echo)
	cfg := clientConfig(t)
	cfg.Certificates = []tls.Certificate{p.client}
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	roundTrip(t, c, "certificate from the list")
}

// Our CLIENT_RANDOM line is the one crypto/tls's server writes for the
// same connection.
func TestTLS12KeyLog(t *testing.T) {
	t.Parallel()
	var server, client bytes.Buffer
	scfg := serverConfig12(t, "ecdsa")
	scfg.KeyLogWriter = &server
	s := serveGo(t, scfg, echo)
	cfg := clientConfig(t)
	cfg.KeyLogWriter = &client
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	roundTrip(t, c, "key log")
	require.NoError(t, c.Close())
	require.NoError(t, s.nextErr(t))
	require.True(t, strings.HasPrefix(client.String(), "CLIENT_RANDOM "), client.String())
	require.Equal(t, 1, strings.Count(client.String(), "\n"))
	require.Equal(t, server.String(), client.String())
}

// ExportKeyingMaterial (RFC 5705) agrees with crypto/tls's, with and
// without a context, and refuses reserved labels.
func TestTLS12ExportKeyingMaterial(t *testing.T) {
	t.Parallel()
	type ekm struct{ noContext, context []byte }
	got := make(chan ekm, 1)
	s := serveGo(t, serverConfig12(t, "ecdsa"), func(c *tls.Conn) error {
		cs := c.ConnectionState()
		a, err := cs.ExportKeyingMaterial("EXPORTER-test", nil, 32)
		if err != nil {
			return err
		}
		b, err := cs.ExportKeyingMaterial("EXPORTER-test", []byte("ctx"), 48)
		if err != nil {
			return err
		}
		got <- ekm{a, b}
		return echo(c)
	})
	c, err := dialGo(t, s, clientConfig(t))
	require.NoError(t, err)
	a, err := c.ExportKeyingMaterial("EXPORTER-test", nil, 32)
	require.NoError(t, err)
	b, err := c.ExportKeyingMaterial("EXPORTER-test", []byte("ctx"), 48)
	require.NoError(t, err)
	want := <-got
	require.Equal(t, want.noContext, a)
	require.Equal(t, want.context, b)
	empty, err := c.ExportKeyingMaterial("EXPORTER-test", []byte{}, 32)
	require.NoError(t, err)
	require.NotEqual(t, a, empty, "TLS 1.2 tells a nil context from an empty one")
	_, err = c.ExportKeyingMaterial("key expansion", nil, 32)
	require.Error(t, err)
}

// A version range or group list that leaves nothing to offer is refused
// before any byte is sent, so no alert is involved.
func TestTLS12ConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  func(*conn.Config)
	}{
		{"max-below-1.2", func(c *conn.Config) { c.MaxVersion = tls.VersionTLS11 }},
		{"min-above-max", func(c *conn.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS13, tls.VersionTLS12 }},
		{"hybrid-only-for-1.2", func(c *conn.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serveGo(t, serverConfig12(t, "ecdsa"), echo)
			cfg := clientConfig(t)
			tc.cfg(cfg)
			_, err := dialGo(t, s, cfg)
			require.Error(t, err)
			_, isAlert := alert.Of(err)
			require.False(t, isAlert, "refused before any byte is sent: %v", err)
		})
	}
}

// A TLS 1.2 close_notify that arrives while a Write holds the write side
// does not make Read wait: Read returns io.EOF at once, and the Write sends
// our close_notify after its current chunk, discarding the rest ("close
// down the connection immediately, discarding any pending writes", RFC
// 5246, Section 7.2.1).
func TestTLS12CloseNotifyOwedByPendingWrite(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	s := serveGo(t, serverConfig12(t, "ecdsa"), func(c *tls.Conn) error {
		if err := c.CloseWrite(); err != nil {
			return err
		}
		<-release
		_, err := io.Copy(io.Discard, c) // nil: ends at our close_notify
		return err
	})
	written := make(chan struct{}, 1)
	cfg := clientConfig(t)
	cfg.Trace = &conn.Trace{RecordWritten: func(ri conn.RecordInfo) {
		if ri.Inner == record.ApplicationData {
			select {
			case written <- struct{}{}:
			default:
			}
		}
	}}
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	big := make([]byte, 64<<20) // far more than the socket buffers hold
	type result struct {
		n   int
		err error
	}
	wres := make(chan result, 1)
	go func() {
		n, err := c.Write(big)
		wres <- result{n, err}
	}()
	<-written
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "Read returns at the close_notify, the Write still blocked")
	select {
	case r := <-wres:
		close(release)
		t.Fatalf("Write ended before the server read anything: %d, %v", r.n, r.err)
	default:
	}
	close(release)
	r := <-wres
	require.ErrorIs(t, r.err, conn.ErrWriteClosed)
	require.Less(t, r.n, len(big))
	require.True(t, c.State().CloseNotifySent)
	require.NoError(t, s.nextErr(t), "the server's Read ended at our close_notify")
}
