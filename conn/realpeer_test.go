package conn_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/conn"
)

// dialPeer dials a peer binary with our client and a deadline.
func dialPeer(t *testing.T, p *peer, cfg *conn.Config) *conn.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(30*time.Second)))
	c := conn.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Handshake(), "peer output:\n%s", p.Output())
	return c
}

// exchange writes data while reading len(want) bytes, and compares.
func exchange(t *testing.T, c *conn.Conn, data, want []byte) {
	t.Helper()
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		werr <- err
	}()
	got := make([]byte, len(want))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.NoError(t, <-werr)
	require.True(t, bytes.Equal(want, got), "echoed data differs")
}

var suites13 = map[string]uint16{
	"TLS_AES_128_GCM_SHA256":       tls.TLS_AES_128_GCM_SHA256,
	"TLS_AES_256_GCM_SHA384":       tls.TLS_AES_256_GCM_SHA384,
	"TLS_CHACHA20_POLY1305_SHA256": tls.TLS_CHACHA20_POLY1305_SHA256,
}

func TestOpenSSLServer(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "openssl")
	cert, key, ca := getPKI(t).writePEM(t, "ecdsa")
	data := lines(1 << 20)
	for name, id := range suites13 {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := startPeer(t, bin, "s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key,
				"-tls1_3", "-rev", "-ciphersuites", name)
			cfg := clientConfig(t)
			cfg.CipherSuites = []uint16{id}
			c := dialPeer(t, p, cfg)
			require.Equal(t, id, c.ConnectionState().CipherSuite)
			exchange(t, c, data, reverseLines(data))
		})
	}
	t.Run("HelloRetryRequest", func(t *testing.T) {
		t.Parallel()
		p := startPeer(t, bin, "s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key,
			"-tls1_3", "-rev", "-groups", "P-384")
		c := dialPeer(t, p, clientConfig(t))
		cs := c.ConnectionState()
		require.True(t, cs.HelloRetryRequest)
		require.Equal(t, tls.CurveP384, cs.CurveID)
		exchange(t, c, []byte("hello retry\n"), []byte("yrter olleh\n"))
	})
	t.Run("ClientAuth", func(t *testing.T) {
		t.Parallel()
		p := startPeer(t, bin, "s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key,
			"-tls1_3", "-rev", "-Verify", "1", "-CAfile", ca)
		cfg := clientConfig(t)
		cfg.Certificates = []tls.Certificate{getPKI(t).client}
		c := dialPeer(t, p, cfg)
		exchange(t, c, []byte("client auth\n"), []byte("htua tneilc\n"))
		p.waitOutput(t, "verify return:1")
	})
	t.Run("KeyUpdate", func(t *testing.T) {
		t.Parallel()
		p := startPeer(t, bin, "s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key,
			"-tls1_3", "-msg")
		c := dialPeer(t, p, clientConfig(t))
		// openssl prints data it reads; send a line so the session is up.
		_, err := c.Write([]byte("before\n"))
		require.NoError(t, err)
		p.waitOutput(t, "before")
		// "K" makes openssl send KeyUpdate(update_requested), then a line
		// from stdin arrives under the new keys.
		_, err = p.stdin.Write([]byte("K\n"))
		require.NoError(t, err)
		p.waitOutput(t, ">>> TLS 1.3, Handshake [length 0005], KeyUpdate")
		_, err = p.stdin.Write([]byte("after the update\n"))
		require.NoError(t, err)
		buf := make([]byte, len("after the update\n"))
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
		require.Equal(t, "after the update\n", string(buf))
		// Our answer goes out before our next application data.
		_, err = c.Write([]byte("answered\n"))
		require.NoError(t, err)
		p.waitOutput(t, "answered")
		out := p.Output()
		ours := strings.Index(out, "<<< TLS 1.3, Handshake [length 0005], KeyUpdate")
		require.GreaterOrEqual(t, ours, 0, "openssl saw our KeyUpdate")
		require.Less(t, ours, strings.LastIndex(out, "answered"), "our KeyUpdate precedes our data")
	})
}

func TestGnuTLSServer(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "gnutls-serv")
	cert, key, ca := getPKI(t).writePEM(t, "ecdsa")
	data := lines(1 << 20)
	prio := map[string]string{
		"TLS_AES_128_GCM_SHA256":       "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM",
		"TLS_AES_256_GCM_SHA384":       "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM",
		"TLS_CHACHA20_POLY1305_SHA256": "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305",
	}
	for name, id := range suites13 {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := startPeer(t, bin, "--echo", "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key,
				"--priority", prio[name])
			c := dialPeer(t, p, clientConfig(t))
			require.Equal(t, id, c.ConnectionState().CipherSuite)
			exchange(t, c, data, data)
		})
	}
	t.Run("HelloRetryRequest", func(t *testing.T) {
		t.Parallel()
		p := startPeer(t, bin, "--echo", "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key,
			"--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1")
		c := dialPeer(t, p, clientConfig(t))
		cs := c.ConnectionState()
		require.True(t, cs.HelloRetryRequest)
		require.Equal(t, tls.CurveP384, cs.CurveID)
		exchange(t, c, []byte("hello retry\n"), []byte("hello retry\n"))
	})
	t.Run("ClientAuth", func(t *testing.T) {
		t.Parallel()
		p := startPeer(t, bin, "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key,
			"--x509cafile", ca, "--require-client-cert", "--verify-client-cert",
			"--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3")
		cfg := clientConfig(t)
		cfg.Certificates = []tls.Certificate{getPKI(t).client}
		c := dialPeer(t, p, cfg)
		// Without --echo gnutls-serv answers HTTP, describing the session.
		_, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		require.NoError(t, err)
		page, err := io.ReadAll(c)
		require.NoError(t, err, "the page ends with gnutls-serv's close_notify")
		require.Contains(t, string(page), "HTTP/1.0 200 OK")
		p.waitOutput(t, "The certificate is trusted")
	})
}
