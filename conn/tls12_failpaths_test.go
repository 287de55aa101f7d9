package conn_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

// The TLS 1.2 rules of RFC 5246 that differ from TLS 1.3's: where a
// ChangeCipherSpec may come, what may sit between the fragments of a
// handshake message, and HelloRequest. Each test failed before its fix.

// requireLocalAlert asserts err is our fatal (or, for no_renegotiation,
// warning) alert d, and that testpeer saw it go out.
func requireLocalAlert(t *testing.T, p *testpeer.Peer, err error, d alert.Description) {
	t.Helper()
	var ae *alert.Error
	require.ErrorAs(t, err, &ae, "got %v", err)
	require.False(t, ae.Remote, "got %v", err)
	require.ErrorIs(t, err, d)
	p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, d))
}

// onMessage returns hooks that replace the server's record ending message
// typ with what acts returns for it.
func onMessage(typ handshake.MsgType, acts func(r testpeer.Record) []testpeer.Action) testpeer.Hooks {
	return testpeer.Hooks{ToClient: func(r testpeer.Record) []testpeer.Action {
		if r.HasMessage(typ) {
			return acts(r)
		}
		return nil
	}}
}

// A ChangeCipherSpec before the ServerHello is TLS 1.3's middlebox
// compatibility record only: when TLS 1.2 alone is offered, or TLS 1.2 is
// then negotiated, it is an unexpected_message (RFC 5246, Section 7.4.9).
func TestTLS12ChangeCipherSpecBeforeServerHello(t *testing.T) {
	t.Parallel()
	early := onMessage(handshake.TypeServerHello, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.ChangeCipherSpec, []byte{1}).Plain(), testpeer.Forward()}
	})
	for _, tc := range []struct {
		name              string
		server, clientMax uint16
		wantAlert         alert.Description // 0: the handshake succeeds
	}{
		{"only-1.2-offered", tls.VersionTLS13, tls.VersionTLS12, alert.UnexpectedMessage},
		{"1.2-negotiated", tls.VersionTLS12, 0, alert.UnexpectedMessage},
		{"1.3-negotiated", tls.VersionTLS13, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startPeer12(t, tc.server, testpeer.Scenario{}, early)
			cfg := peerConfig(p)
			cfg.MaxVersion = tc.clientMax
			c, err := dialTestpeer(t, p, cfg)
			if tc.wantAlert == 0 {
				require.NoError(t, err)
				roundTrip(t, c, "dropped")
				return
			}
			requireLocalAlert(t, p, err, tc.wantAlert)
		})
	}
}

// TLS 1.2 lets alerts sit between the fragments of a handshake message
// ("Data of different TLS record layer content types MAY be
// interleaved", RFC 5246, Section 6.2.1); a ChangeCipherSpec there still
// straddles a key change, and application data is refused during the
// first handshake.
func TestTLS12RecordsBetweenFragments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		between   testpeer.Action
		wantAlert alert.Description // 0: the handshake succeeds
	}{
		{"warning", testpeer.SendAlert(alert.Warning, alert.UnrecognizedName), 0},
		{"fatal", testpeer.SendAlert(alert.Fatal, alert.HandshakeFailure), alert.HandshakeFailure},
		{"change_cipher_spec", testpeer.Raw([]byte{byte(record.ChangeCipherSpec), 3, 3, 0, 1, 1}), alert.UnexpectedMessage},
		{"application_data", testpeer.Send(record.ApplicationData, []byte("early")), alert.UnexpectedMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startPeer12(t, tls.VersionTLS12, testpeer.Scenario{}, onMessage(handshake.TypeCertificate, func(r testpeer.Record) []testpeer.Action {
				return []testpeer.Action{
					testpeer.Send(record.Handshake, r.Payload[:10]), tc.between, testpeer.Send(record.Handshake, r.Payload[10:]),
				}
			}))
			c, err := dialTestpeer(t, p, peerConfig(p))
			switch {
			case tc.wantAlert == 0:
				require.NoError(t, err)
				roundTrip(t, c, "interleaved")
			case tc.wantAlert == alert.HandshakeFailure:
				var ae *alert.Error
				require.ErrorAs(t, err, &ae)
				require.True(t, ae.Remote)
				require.ErrorIs(t, err, alert.HandshakeFailure)
			default:
				requireLocalAlert(t, p, err, tc.wantAlert)
			}
		})
	}
}

// A HelloRequest after the handshake gets a warning no_renegotiation
// ("always a warning", RFC 5246, Section 7.2.2), then the connection ends
// with an error naming the request, as crypto/tls's does. Read returns at
// once, whether the HelloRequest came alone (the server then waits) or in
// the record of the server's Finished.
func TestTLS12HelloRequestRefused(t *testing.T) {
	t.Parallel()
	helloRequest, err := (&handshake.HelloRequest{}).Marshal()
	require.NoError(t, err)
	for name, sc := range map[string]testpeer.Scenario{
		"alone": testpeer.PeerHelloRequest(),
		"with-Finished": testpeer.Hooked("HelloRequestWithFinished", onMessage(handshake.TypeFinished, func(r testpeer.Record) []testpeer.Action {
			return []testpeer.Action{testpeer.Send(record.Handshake, append(r.Payload, helloRequest...))}
		})),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := startPeer12(t, tls.VersionTLS12, sc)
			var log alertLog
			cfg := peerConfig(p)
			cfg.Trace = log.trace()
			c, err := dialTestpeer(t, p, cfg)
			require.NoError(t, err)
			require.NoError(t, c.SetReadDeadline(time.Now().Add(3*time.Second)))
			start := time.Now()
			_, err = c.Read(make([]byte, 1))
			require.Less(t, time.Since(start), 2*time.Second, "Read waited for more than the HelloRequest")
			require.ErrorIs(t, err, alert.NoRenegotiation)
			require.ErrorContains(t, err, "renegotiation")
			p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.NoRenegotiation))
			require.Equal(t, []alert.Alert{noRenegotiation}, log.sentAlerts(), "one warning, nothing after")
			_, werr := c.Write([]byte("over"))
			require.ErrorIs(t, werr, alert.NoRenegotiation)
			require.NoError(t, c.Close())
			require.Equal(t, []alert.Alert{noRenegotiation}, log.sentAlerts(), "Close sends nothing after it")
			require.False(t, c.State().CloseNotifySent)
		})
	}
}

// Once the ServerHello fixed TLS 1.2, every record must carry 0x0303 (alert
// policy, package alert): a Certificate record saying 0x0301 is a
// protocol_version.
func TestTLS12RecordVersionChecked(t *testing.T) {
	t.Parallel()
	wrong := onMessage(handshake.TypeCertificate, func(r testpeer.Record) []testpeer.Action {
		raw := []byte{byte(record.Handshake), 0x03, 0x01, byte(len(r.Payload) >> 8), byte(len(r.Payload))}
		return []testpeer.Action{testpeer.Raw(append(raw, r.Payload...))}
	})
	p := startPeer12(t, tls.VersionTLS12, testpeer.Scenario{}, wrong)
	_, err := dialTestpeer(t, p, peerConfig(p))
	requireLocalAlert(t, p, err, alert.ProtocolVersion)
	require.ErrorContains(t, err, "record version 0x0301")
}
