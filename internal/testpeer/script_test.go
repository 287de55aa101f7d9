package testpeer

import (
	"crypto/tls"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// TestScript answers crypto/tls's ClientHello with broken ServerHellos and
// checks the alert the client sends back, in plaintext since no keys
// exist yet.
func TestScript(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		version   uint16
		edit      func(sh *handshake.ServerHello)
		wantErr   string
		wantAlert alert.Description
	}{
		{
			name: "unsupported version", version: record.VersionTLS13,
			edit:    func(sh *handshake.ServerHello) { sh.SupportedVersion = 0x0305 },
			wantErr: "server selected unsupported protocol version 305", wantAlert: alert.ProtocolVersion,
		},
		{
			name: "unoffered suite", version: record.VersionTLS13,
			edit:    func(sh *handshake.ServerHello) { sh.CipherSuite = 0x1304 }, // TLS_AES_128_CCM_SHA256
			wantErr: "server chose an unconfigured cipher suite", wantAlert: alert.IllegalParameter,
		},
		{
			name: "downgrade sentinel", version: record.VersionTLS12,
			edit:    func(sh *handshake.ServerHello) { copy(sh.Random[24:], handshake.DowngradeTLS12[:]) },
			wantErr: "downgrade attempt detected", wantAlert: alert.IllegalParameter,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hellos atomic.Int32
			p := Start(t, Config{Script: func(ch *handshake.ClientHello) []Action {
				hellos.Add(1)
				sh := ServerHelloFor(ch, tc.version)
				tc.edit(sh)
				return []Action{SendMessage(sh)}
			}})
			_, err := dialErr(t, p, tls.VersionTLS12, func(cfg *tls.Config) { cfg.MaxVersion = tls.VersionTLS13 })
			require.ErrorContains(t, err, tc.wantErr)
			sent := p.MustWaitFor(t, SentAlert(ClientToServer, tc.wantAlert))
			require.False(t, sent.Protected)
			require.Equal(t, alert.Fatal, sent.Alert.Level)
			require.Equal(t, int32(1), hellos.Load())
			require.Empty(t, p.Events(OfKind(ClientToServer, KindDelivered)), "no server: nothing is delivered to it")
		})
	}
}

// TestServerHelloFor: the scripted ServerHellos marshal and carry what the
// ClientHello asked for.
func TestServerHelloFor(t *testing.T) {
	t.Parallel()
	ch := &handshake.ClientHello{
		Vers: record.VersionTLS12, Random: make([]byte, 32), SessionID: []byte{1, 2, 3},
		CipherSuites:        []uint16{0x0a0a, 0xc02f, 0x1302, 0x1301},
		SupportedVersions:   []uint16{record.VersionTLS13, record.VersionTLS12},
		KeyShares:           []handshake.KeyShare{{Group: handshake.X25519, Data: make([]byte, 32)}},
		SecureRenegotiation: true, ExtendedMasterSecret: true, ECPointFormats: []uint8{0},
	}
	for _, tc := range []struct {
		version uint16
		suite   uint16
	}{{record.VersionTLS13, 0x1302}, {record.VersionTLS12, 0xc02f}} {
		sh := ServerHelloFor(ch, tc.version)
		msg, err := sh.Marshal()
		require.NoError(t, err)
		var got handshake.ServerHello
		require.NoError(t, got.Unmarshal(msg))
		require.Equal(t, tc.suite, got.CipherSuite)
		require.Equal(t, ch.SessionID, got.SessionID)
		parsed, ok := parseServerHello(msg)
		require.True(t, ok)
		require.Equal(t, tc.version, parsed.vers)
		if tc.version == record.VersionTLS13 {
			require.Equal(t, handshake.X25519, got.KeyShare.Group)
			require.Len(t, got.KeyShare.Data, 32)
		} else {
			require.True(t, got.ExtendedMasterSecret)
			require.True(t, got.SecureRenegotiation)
		}
	}
}

// TestParseServerHello: the proxy's lenient reading of a ServerHello, and
// every strict prefix refused.
func TestParseServerHello(t *testing.T) {
	t.Parallel()
	sh := &handshake.ServerHello{
		Vers: record.VersionTLS12, Random: make([]byte, 32), CipherSuite: 0x1301,
		SupportedVersion: record.VersionTLS13, KeyShare: handshake.KeyShare{Group: handshake.X25519, Data: make([]byte, 32)},
	}
	msg, err := sh.Marshal()
	require.NoError(t, err)
	got, ok := parseServerHello(msg)
	require.True(t, ok)
	require.Equal(t, serverHello{vers: record.VersionTLS13, random: make([]byte, 32), suite: 0x1301}, got)
	for i := range msg {
		_, ok := parseServerHello(msg[:i])
		require.False(t, ok, "prefix of %d bytes", i)
	}
}
