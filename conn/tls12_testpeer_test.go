package conn_test

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

// TLS 1.2 behaviour against testpeer's misbehaving server.

// alertLog records the alerts a Trace sees.
type alertLog struct {
	mu             sync.Mutex
	sent, received []alert.Alert
}

func (l *alertLog) trace() *conn.Trace {
	return &conn.Trace{
		AlertSent:     func(a alert.Alert) { l.mu.Lock(); l.sent = append(l.sent, a); l.mu.Unlock() },
		AlertReceived: func(a alert.Alert) { l.mu.Lock(); l.received = append(l.received, a); l.mu.Unlock() },
	}
}

func (l *alertLog) sentAlerts() []alert.Alert {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]alert.Alert(nil), l.sent...)
}

// startPeer12 starts testpeer in front of a crypto/tls server limited to
// TLS 1.2 (or up to TLS 1.3 when max says so).
func startPeer12(t *testing.T, max uint16, sc testpeer.Scenario, hooks ...testpeer.Hooks) *testpeer.Peer {
	t.Helper()
	scfg := testpeer.DefaultServerConfig()
	scfg.MaxVersion = max
	if len(hooks) > 0 {
		sc = testpeer.Hooked("hooks", hooks[0])
	}
	return testpeer.Start(t, testpeer.Config{Scenario: sc, Server: scfg})
}

func peerConfig(p *testpeer.Peer) *conn.Config {
	return &conn.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(), KeyLogWriter: p.KeyLog()}
}

// dialTestpeer dials p with a deadline on the whole conversation.
func dialTestpeer(t *testing.T, p *testpeer.Peer, cfg *conn.Config) (*conn.Conn, error) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(20*time.Second)))
	c := conn.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	return c, c.Handshake()
}

var noRenegotiation = alert.Alert{Level: alert.Warning, Description: alert.NoRenegotiation}

// Five HelloRequests in a row: the first ends the connection with one
// warning no_renegotiation; nothing answers the others.
func TestTLS12HelloRequestFlood(t *testing.T) {
	t.Parallel()
	p := startPeer12(t, tls.VersionTLS12, testpeer.PeerFloodsHelloRequests(5))
	var log alertLog
	cfg := peerConfig(p)
	cfg.Trace = log.trace()
	c, err := dialTestpeer(t, p, cfg)
	require.NoError(t, err)
	_, err = c.Read(make([]byte, 1))
	var ae *alert.Error
	require.ErrorAs(t, err, &ae)
	require.False(t, ae.Remote)
	require.ErrorIs(t, err, alert.NoRenegotiation)
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, alert.NoRenegotiation, "sticky")
	require.NoError(t, c.Close())
	require.Equal(t, []alert.Alert{noRenegotiation}, log.sentAlerts())
}

// HelloRequests during the handshake, before the ServerHello and before
// the server's ChangeCipherSpec, are ignored, unanswered and kept out of
// the transcript: the Finished messages still agree.
func TestTLS12HelloRequestDuringHandshake(t *testing.T) {
	t.Parallel()
	hr := testpeer.SendMessage(&handshake.HelloRequest{})
	p := startPeer12(t, tls.VersionTLS12, testpeer.Scenario{}, testpeer.Hooks{ToClient: func(r testpeer.Record) []testpeer.Action {
		switch {
		case r.HasMessage(handshake.TypeServerHello), r.Type == record.ChangeCipherSpec:
			return []testpeer.Action{hr, hr, testpeer.Forward()}
		}
		return nil
	}})
	var log alertLog
	cfg := peerConfig(p)
	cfg.Trace = log.trace()
	c, err := dialTestpeer(t, p, cfg)
	require.NoError(t, err)
	roundTrip(t, c, "renegotiation ignored")
	require.Empty(t, log.sentAlerts())
	require.Len(t, p.Events(deliveredHelloRequest), 4)
}

// deliveredHelloRequest matches a HelloRequest testpeer wrote to us.
func deliveredHelloRequest(e testpeer.Event) bool {
	return e.Dir == testpeer.ServerToClient && e.Kind == testpeer.KindDelivered && e.HasMessage(handshake.TypeHelloRequest)
}

// A ChangeCipherSpec after the handshake is an unexpected_message in TLS
// 1.2, whether in plaintext (an injection) or protected.
func TestTLS12ChangeCipherSpecAfterHandshake(t *testing.T) {
	t.Parallel()
	for name, sc := range map[string]testpeer.Scenario{
		"plaintext": testpeer.Hooked("PlainCCS", testpeer.AtHandshakeEnd(testpeer.Send(record.ChangeCipherSpec, []byte{1}).Plain())),
		"protected": testpeer.PeerFloodsChangeCipherSpecs(1),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := startPeer12(t, tls.VersionTLS12, sc)
			c, err := dialTestpeer(t, p, peerConfig(p))
			require.NoError(t, err)
			_, err = c.Read(make([]byte, 1))
			var ae *alert.Error
			require.ErrorAs(t, err, &ae)
			require.False(t, ae.Remote)
			require.ErrorIs(t, err, alert.UnexpectedMessage)
		})
	}
}

// Downgrade protection (RFC 8446, Section 4.1.3): testpeer removes TLS 1.3
// from our supported_versions, the TLS 1.3 server answers TLS 1.2 with
// DOWNGRD\x01, and we send illegal_parameter. Limited to TLS 1.2 ourselves,
// the same server is accepted.
func TestTLS12DowngradeSentinel(t *testing.T) {
	t.Parallel()
	strip := testpeer.Hooks{ToServer: testpeer.EditClientHello(func(ch *handshake.ClientHello) {
		var v []uint16
		for _, x := range ch.SupportedVersions {
			if x != record.VersionTLS13 {
				v = append(v, x)
			}
		}
		ch.SupportedVersions = v
	})}
	t.Run("offered-1.3", func(t *testing.T) {
		t.Parallel()
		p := startPeer12(t, tls.VersionTLS13, testpeer.Scenario{}, strip)
		_, err := dialTestpeer(t, p, peerConfig(p))
		var ae *alert.Error
		require.ErrorAs(t, err, &ae)
		require.False(t, ae.Remote)
		require.ErrorIs(t, err, alert.IllegalParameter)
		require.ErrorContains(t, err, "downgrade")
		p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.IllegalParameter))
	})
	t.Run("max-1.2", func(t *testing.T) {
		t.Parallel()
		p := startPeer12(t, tls.VersionTLS13, testpeer.Scenario{}, strip)
		cfg := peerConfig(p)
		cfg.MaxVersion = tls.VersionTLS12
		c, err := dialTestpeer(t, p, cfg)
		require.NoError(t, err)
		require.Equal(t, uint16(tls.VersionTLS12), c.ConnectionState().Version)
		roundTrip(t, c, "accepted")
	})
}

// A server whose suite's authentication does not fit its certificate
// (here an ECDHE_RSA suite with an ECDSA key: testpeer rewrites the
// ServerHello) gets illegal_parameter (RFC 8422, Section 5.3).
func TestTLS12SuiteCertificateMismatch(t *testing.T) {
	t.Parallel()
	scfg := testpeer.DefaultServerConfig()
	scfg.MaxVersion = tls.VersionTLS12
	scfg.Certificates = []tls.Certificate{testpeer.ECDSACertificate()}
	scfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	p := testpeer.Start(t, testpeer.Config{Server: scfg, Scenario: testpeer.Hooked("RSASuite", testpeer.Hooks{
		ToClient: func(r testpeer.Record) []testpeer.Action {
			if len(r.Messages) != 1 || r.Messages[0].Type() != handshake.TypeServerHello {
				return nil
			}
			sh := new(handshake.ServerHello)
			require.NoError(t, sh.Unmarshal(r.Messages[0]))
			sh.CipherSuite = tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
			return []testpeer.Action{testpeer.SendMessage(sh)}
		},
	})})
	_, err := dialTestpeer(t, p, peerConfig(p))
	var ae *alert.Error
	require.ErrorAs(t, err, &ae)
	require.False(t, ae.Remote)
	require.ErrorIs(t, err, alert.IllegalParameter)
	require.ErrorContains(t, err, "does not fit")
	p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.IllegalParameter))
}

// A TLS 1.2 close_notify is answered at once (RFC 5246, Section 7.2.1),
// unless DisableCloseNotifyReply leaves it to the caller.
func TestTLS12CloseNotifyAnswered(t *testing.T) {
	t.Parallel()
	t.Run("answered", func(t *testing.T) {
		t.Parallel()
		p := startPeer12(t, tls.VersionTLS12, testpeer.PeerClosesFirst())
		c, err := dialTestpeer(t, p, peerConfig(p))
		require.NoError(t, err)
		_, err = c.Read(make([]byte, 1))
		require.ErrorIs(t, err, io.EOF)
		cs := c.State()
		require.True(t, cs.CloseNotifyReceived)
		require.True(t, cs.CloseNotifySent, "answered within Read")
		p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.CloseNotify))
		_, err = c.Write([]byte("too late"))
		require.ErrorIs(t, err, conn.ErrWriteClosed)
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		p := startPeer12(t, tls.VersionTLS12, testpeer.PeerClosesFirst())
		var log alertLog
		cfg := peerConfig(p)
		cfg.DisableCloseNotifyReply = true
		cfg.Trace = log.trace()
		c, err := dialTestpeer(t, p, cfg)
		require.NoError(t, err)
		_, err = c.Read(make([]byte, 1))
		require.ErrorIs(t, err, io.EOF)
		require.False(t, c.State().CloseNotifySent)
		require.Empty(t, log.sentAlerts())
		_, err = c.Write([]byte("still ours to send"))
		require.NoError(t, err)
		require.NoError(t, c.CloseWrite())
		p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.CloseNotify))
	})
}
