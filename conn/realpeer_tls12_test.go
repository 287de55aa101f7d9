package conn_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
)

// TLS 1.2 against openssl s_server and gnutls-serv on loopback. Our client
// offers TLS 1.3 and 1.2; the servers speak 1.2 only.

// peerSuites12 names each TLS 1.2 suite for openssl and gnutls-serv.
var peerSuites12 = []struct {
	id      uint16
	kind    string // certificate key type
	openssl string
	gnutls  string // priority string
}{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ecdsa", "ECDHE-ECDSA-AES128-GCM-SHA256", "+AES-128-GCM:-KX-ALL:+ECDHE-ECDSA"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "rsa", "ECDHE-RSA-AES128-GCM-SHA256", "+AES-128-GCM:-KX-ALL:+ECDHE-RSA"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ecdsa", "ECDHE-ECDSA-AES256-GCM-SHA384", "+AES-256-GCM:-KX-ALL:+ECDHE-ECDSA"},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "rsa", "ECDHE-RSA-AES256-GCM-SHA384", "+AES-256-GCM:-KX-ALL:+ECDHE-RSA"},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ecdsa", "ECDHE-ECDSA-CHACHA20-POLY1305", "+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA"},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "rsa", "ECDHE-RSA-CHACHA20-POLY1305", "+CHACHA20-POLY1305:-KX-ALL:+ECDHE-RSA"},
}

// requireTLS12 checks what every TLS 1.2 handshake with these peers
// establishes.
func requireTLS12(t *testing.T, c *conn.Conn, suite uint16) {
	t.Helper()
	cs := c.State()
	require.Equal(t, uint16(tls.VersionTLS12), cs.Version)
	require.Equal(t, suite, cs.CipherSuite)
	require.True(t, cs.ExtendedMasterSecret)
	require.True(t, cs.SecureRenegotiation)
}

func TestOpenSSLServerTLS12(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "openssl")
	data := lines(1 << 20)
	for _, s := range peerSuites12 {
		t.Run(s.openssl, func(t *testing.T) {
			t.Parallel()
			cert, key, _ := getPKI(t).writePEM(t, s.kind)
			p := startPeer(t, bin, "s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key,
				"-tls1_2", "-rev", "-cipher", s.openssl)
			cfg := clientConfig(t)
			cfg.CipherSuites = []uint16{s.id}
			c := dialPeer(t, p, cfg)
			requireTLS12(t, c, s.id)
			exchange(t, c, data, reverseLines(data))
		})
	}
}

func TestGnuTLSServerTLS12(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "gnutls-serv")
	data := lines(1 << 20)
	for _, s := range peerSuites12 {
		t.Run(s.openssl, func(t *testing.T) {
			t.Parallel()
			cert, key, _ := getPKI(t).writePEM(t, s.kind)
			p := startPeer(t, bin, "--echo", "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key,
				"--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:"+s.gnutls)
			c := dialPeer(t, p, clientConfig(t))
			requireTLS12(t, c, s.id)
			exchange(t, c, data, data)
		})
	}
}

// A server without the extended master secret (RFC 7627) is refused with
// handshake_failure, unless AllowNoExtendedMasterSecret; then the
// exporter is off (RFC 7627, Section 5.4).
func TestGnuTLSServerWithoutEMS(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "gnutls-serv")
	cert, key, _ := getPKI(t).writePEM(t, "ecdsa")
	p := startPeer(t, bin, "--echo", "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key,
		"--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH")
	t.Run("refused", func(t *testing.T) {
		raw, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
		require.NoError(t, err)
		require.NoError(t, raw.SetDeadline(time.Now().Add(30*time.Second)))
		c := conn.Client(raw, clientConfig(t))
		defer c.Close()
		err = c.Handshake()
		var ae *alert.Error
		require.ErrorAs(t, err, &ae)
		require.False(t, ae.Remote)
		require.ErrorIs(t, err, alert.HandshakeFailure)
		require.ErrorContains(t, err, "extended master secret")
	})
	t.Run("allowed", func(t *testing.T) {
		cfg := clientConfig(t)
		cfg.AllowNoExtendedMasterSecret = true
		c := dialPeer(t, p, cfg)
		cs := c.State()
		require.Equal(t, uint16(tls.VersionTLS12), cs.Version)
		require.False(t, cs.ExtendedMasterSecret)
		exchange(t, c, []byte("no session hash\n"), []byte("no session hash\n"))
		_, err := c.ExportKeyingMaterial("EXPORTER-test", nil, 32)
		require.ErrorContains(t, err, "RFC 7627")
	})
}

// openssl s_server's stdin "r" sends a HelloRequest and waits for a
// ClientHello; we answer with a warning no_renegotiation and Read ends the
// connection at once with the error naming the request (OpenSSL's fatal
// handshake_failure answer is never read).
func TestOpenSSLServerHelloRequest(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "openssl")
	cert, key, _ := getPKI(t).writePEM(t, "ecdsa")
	p := startPeer(t, bin, "s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key, "-tls1_2")
	var log alertLog
	cfg := clientConfig(t)
	cfg.Trace = log.trace()
	c := dialPeer(t, p, cfg)
	_, err := c.Write([]byte("session up\n"))
	require.NoError(t, err)
	p.waitOutput(t, "session up")
	_, err = p.stdin.Write([]byte("r\n"))
	require.NoError(t, err)
	_, err = c.Read(make([]byte, 1))
	var ae *alert.Error
	require.ErrorAs(t, err, &ae)
	require.False(t, ae.Remote)
	require.ErrorIs(t, err, alert.NoRenegotiation)
	require.ErrorContains(t, err, "renegotiation")
	require.Equal(t, []alert.Alert{noRenegotiation}, log.sentAlerts())
}
