package testpeer

import (
	"crypto/tls"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

const mib = 1 << 20

// suiteCase is one cipher suite with the names the servers know it by.
type suiteCase struct {
	id      uint16
	version uint16
	openssl string // -ciphersuites (TLS 1.3) or -cipher (TLS 1.2)
	gnutls  string // --priority
}

var suiteCases = []suiteCase{
	{tls.TLS_AES_128_GCM_SHA256, tls.VersionTLS13, "TLS_AES_128_GCM_SHA256", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM"},
	{tls.TLS_AES_256_GCM_SHA384, tls.VersionTLS13, "TLS_AES_256_GCM_SHA384", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM"},
	{tls.TLS_CHACHA20_POLY1305_SHA256, tls.VersionTLS13, "TLS_CHACHA20_POLY1305_SHA256", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.VersionTLS12, "ECDHE-ECDSA-AES128-GCM-SHA256", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-KX-ALL:+ECDHE-ECDSA"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.VersionTLS12, "ECDHE-RSA-AES128-GCM-SHA256", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-KX-ALL:+ECDHE-RSA"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.VersionTLS12, "ECDHE-ECDSA-AES256-GCM-SHA384", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:-KX-ALL:+ECDHE-ECDSA"},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.VersionTLS12, "ECDHE-RSA-AES256-GCM-SHA384", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:-KX-ALL:+ECDHE-RSA"},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.VersionTLS12, "ECDHE-ECDSA-CHACHA20-POLY1305", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA"},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.VersionTLS12, "ECDHE-RSA-CHACHA20-POLY1305", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-RSA"},
}

func (sc suiteCase) name() string { return tls.CipherSuiteName(sc.id) }

// clientSuite makes a crypto/tls client offer only the case's TLS 1.2
// suite; crypto/tls does not let a client choose among TLS 1.3 suites.
func (sc suiteCase) clientSuite(cfg *tls.Config) {
	if sc.version == tls.VersionTLS12 {
		cfg.CipherSuites = []uint16{sc.id}
	}
}

// serverArgs restricts an external server to the case's suite.
func (sc suiteCase) serverArgs(b backend) []string {
	switch {
	case b.name == "gnutls":
		return []string{"--priority", sc.gnutls}
	case sc.version == tls.VersionTLS13:
		return []string{"-ciphersuites", sc.openssl}
	}
	return []string{"-cipher", sc.openssl}
}

// TestTransparent puts the pass-through proxy between crypto/tls's client
// and each real server, with every suite, and moves 1 MiB each way. The
// in-process crypto/tls server cannot be told which TLS 1.3 suite to
// pick: it takes AES-128-GCM here, ChaCha20 in TestTransparentChaCha, and
// AES-256-GCM only behind openssl and gnutls.
func TestTransparent(t *testing.T) {
	t.Parallel()
	for _, b := range allBackends {
		for _, sc := range suiteCases {
			if b.name == inProcess.name && sc.version == tls.VersionTLS13 && sc.id != wantInProcessSuite13() {
				continue
			}
			t.Run(b.name+"/"+sc.name(), func(t *testing.T) {
				t.Parallel()
				var args []string
				if b.name != inProcess.name {
					args = sc.serverArgs(b)
				}
				p := b.start(t, PassThrough(), args...)
				c := dial(t, p, sc.version, sc.clientSuite)
				require.Equal(t, sc.name(), tls.CipherSuiteName(c.ConnectionState().CipherSuite))
				flow(t, c, b, mib)
				closeCleanly(t, c)
				requireTransparent(t, p)
				require.Equal(t, mib, appBytes(p.Events(OfKind(ClientToServer, KindDelivered))))
				require.Equal(t, mib, appBytes(p.Events(OfKind(ServerToClient, KindDelivered))))
			})
		}
	}
}

// wantInProcessSuite13 is the TLS 1.3 suite the in-process server picks:
// AES-128-GCM, or ChaCha20-Poly1305 when TestTransparentChaCha runs this
// binary with AES hardware support turned off.
func wantInProcessSuite13() uint16 {
	if os.Getenv("TESTPEER_NO_AES") == "1" {
		return tls.TLS_CHACHA20_POLY1305_SHA256
	}
	return tls.TLS_AES_128_GCM_SHA256
}

// TestTransparentChaCha runs the in-process TLS 1.3 case again in a child
// process with GODEBUG=cpu.aes=off, where both crypto/tls ends prefer
// ChaCha20-Poly1305.
func TestTransparentChaCha(t *testing.T) {
	t.Parallel()
	if os.Getenv("TESTPEER_NO_AES") == "1" {
		t.Skip("already the child")
	}
	const name = "TestTransparent/crypto-tls/TLS_CHACHA20_POLY1305_SHA256"
	cmd := exec.CommandContext(waitCtx(t), os.Args[0],
		"-test.run=^TestTransparent$/^crypto-tls$/^TLS_CHACHA20_POLY1305_SHA256$", "-test.v")
	cmd.Env = append(os.Environ(), "GODEBUG=cpu.aes=off", "TESTPEER_NO_AES=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: "+name)
}

// TestHelloRetryRequest: a server that accepts only P-256 makes crypto/tls's
// client send a second ClientHello; the proxy follows.
func TestHelloRetryRequest(t *testing.T) {
	t.Parallel()
	cfg := DefaultServerConfig()
	cfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
	p := Start(t, Config{Server: cfg})
	c := dial(t, p, tls.VersionTLS13)
	exchange(t, c, inProcess, "after a retry\n")
	closeCleanly(t, c)
	requireTransparent(t, p)
	require.Len(t, p.Events(SentMessage(ClientToServer, handshake.TypeClientHello)), 2)
	require.Len(t, p.Events(SentMessage(ServerToClient, handshake.TypeServerHello)), 2)
}

// TestResumption: a TLS 1.3 resumed handshake, whose ServerHello carries
// pre_shared_key, is followed. A TLS 1.2 one is refused at once with a
// clear error: no key log line carries a resumed master secret.
func TestResumption(t *testing.T) {
	t.Parallel()
	for _, tc := range versions {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Start(t, Config{})
			cache := tls.NewLRUClientSessionCache(1)
			useCache := func(cfg *tls.Config) { cfg.ClientSessionCache = cache }
			c := dial(t, p, tc.v, useCache)
			// TLS 1.3 tickets arrive after the handshake: read them.
			exchange(t, c, inProcess, "first\n")
			closeCleanly(t, c)

			c, err := dialErr(t, p, tc.v, useCache)
			if tc.v == tls.VersionTLS12 {
				require.Error(t, err)
				require.ErrorContains(t, p.Err(), "TLS 1.2 session resumption is not followed")
				return
			}
			require.NoError(t, err)
			require.True(t, c.ConnectionState().DidResume)
			exchange(t, c, inProcess, "resumed\n")
			closeCleanly(t, c)
			p.MustWaitFor(t, func(e Event) bool { return e.Conn == 2 && e.Kind == KindEOF && e.Dir == ServerToClient })
			require.NoError(t, p.Err())
		})
	}
}

// TestKeyUpdateBothWays: after the proxy sends a KeyUpdate requesting the
// client's, both directions move to new keys, and data still flows both
// ways through the in-process server, which sees the client's KeyUpdate.
func TestKeyUpdateBothWays(t *testing.T) {
	t.Parallel()
	p := Start(t, Config{Scenario: PeerKeyUpdate(true)})
	c := dial(t, p, tls.VersionTLS13)
	flow(t, c, inProcess, 64<<10)
	closeCleanly(t, c)
	requireNoFailure(t, p)
	ku := p.MustWaitFor(t, SentMessage(ClientToServer, handshake.TypeKeyUpdate))
	require.Equal(t, 0, ku.Generation, "the client's KeyUpdate goes under its first keys")
	last := p.Events(OfKind(ClientToServer, KindDelivered))
	require.Equal(t, 1, last[len(last)-1].Generation, "the client's later records use its next keys")
	srv := p.Events(func(e Event) bool { return e.Dir == ServerToClient && e.Kind == KindDelivered && e.Protected })
	require.Equal(t, 1, srv[len(srv)-1].Generation)
}

func requireNoFailure(t *testing.T, p *Peer) {
	t.Helper()
	require.NoError(t, p.Err())
	require.Empty(t, p.Events(func(e Event) bool { return e.Kind == KindServerError }))
}

// TestInject: Peer.Inject writes into a live connection at the test's
// moment, under the current keys.
func TestInject(t *testing.T) {
	t.Parallel()
	for _, tc := range versions {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Start(t, Config{})
			c := dial(t, p, tc.v)
			exchange(t, c, inProcess, "before\n")
			require.NoError(t, p.Inject(ServerToClient, Send(record.ApplicationData, []byte("injected\n"))))
			got := make([]byte, len("injected\n"))
			_, err := io.ReadFull(c, got)
			require.NoError(t, err)
			require.Equal(t, "injected\n", string(got))
			// The server's later records went out under the proxy's
			// sequence numbers, one ahead of the server's.
			exchange(t, c, inProcess, "after\n")
			closeCleanly(t, c)
			requireNoFailure(t, p)
		})
	}
}

// TestCloseEndsEverything: Close returns promptly with a connection whose
// reading stopped and whose client still writes, and every goroutine of
// the Peer has ended by then (Close reports any that has not).
func TestCloseEndsEverything(t *testing.T) {
	t.Parallel()
	p, err := New(Config{Scenario: PeerStopsReading()})
	require.NoError(t, err)
	c := dial(t, p, tls.VersionTLS13)
	p.MustWaitFor(t, func(e Event) bool {
		return e.Dir == ClientToServer && e.Kind == KindDelivered && e.HasMessage(handshake.TypeFinished)
	})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(make([]byte, 64*mib)) // blocks: nobody reads
		errc <- err
	}()
	require.NoError(t, p.Close())
	require.Error(t, <-errc, "the client's write ends when the proxy closes")
	require.NoError(t, p.Close(), "a second Close is a no-op")
	require.Zero(t, appBytes(p.Events(OfKind(ClientToServer, KindSent))), "nothing read after the client's Finished")
}
