package testpeer

import (
	"crypto/tls"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// readN reads exactly n bytes.
func readN(t *testing.T, c *tls.Conn, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := io.ReadFull(c, b)
	require.NoError(t, err)
	return string(b)
}

// TestHoldRelease reorders two application data records: the first echo
// is held back and released after the second, each sealed when sent, so
// the client reads them in the new order.
func TestHoldRelease(t *testing.T) {
	t.Parallel()
	for _, tc := range versions {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := 0
			p := Start(t, Config{Scenario: Hooked("reorder", Hooks{ToClient: func(r Record) []Action {
				if !r.IsApplicationData() {
					return nil
				}
				seen++
				if seen == 1 {
					return []Action{Hold()}
				}
				return []Action{Forward(), Release()}
			}})})
			c := dial(t, p, tc.v)
			_, err := c.Write([]byte("first\n"))
			require.NoError(t, err)
			p.MustWaitFor(t, func(e Event) bool {
				return e.Dir == ServerToClient && e.Kind == KindSent && e.Inner == record.ApplicationData
			})
			_, err = c.Write([]byte("second\n"))
			require.NoError(t, err)
			require.Equal(t, "second\nfirst\n", readN(t, c, len("second\nfirst\n")))
			closeCleanly(t, c)
			require.NoError(t, p.Err())
		})
	}
}

// TestInjectOddRecords writes, mid-stream, records the client must refuse,
// and checks what crypto/tls says. crypto/tls opens every record after the
// handshake but a TLS 1.3 change_cipher_spec, so a plaintext alert or an
// unknown type fails as bad_record_mac; and it checks legacy_record_version
// (which RFC 8446, Section 5.1 says to ignore), so a changed one is a
// protocol_version error for it.
func TestInjectOddRecords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		act       Action
		wantErr   string
		wantAlert alert.Description
		// injected describes the record the proxy delivered.
		injected func(e Event) bool
	}{
		{"ciphertext byte flipped", Send(record.ApplicationData, []byte("x")).Corrupt(record.HeaderLen),
			"bad record MAC", alert.BadRecordMAC, protectedByte},
		{"legacy_record_version changed", Send(record.ApplicationData, []byte("x")).Corrupt(2),
			"received record with version", alert.ProtocolVersion, protectedByte},
		{"plaintext alert", SendAlert(alert.Warning, alert.CloseNotify).Plain(),
			"bad record MAC", alert.BadRecordMAC, func(e Event) bool {
				return !e.Protected && e.Outer == record.Alert && e.IsAlert(alert.CloseNotify) && e.Wire == 7
			}},
		{"unknown content type", Raw([]byte{99, 3, 3, 0, 1, 0}),
			"bad record MAC", alert.BadRecordMAC, func(e Event) bool { return e.Inner == 0 && e.Wire == 6 }},
	}
	for _, tc := range tests {
		for _, ver := range versions {
			t.Run(tc.name+"/"+ver.name, func(t *testing.T) {
				t.Parallel()
				p := Start(t, Config{})
				c := dial(t, p, ver.v)
				exchange(t, c, inProcess, "fine\n")
				require.NoError(t, p.Inject(ServerToClient, tc.act))
				require.ErrorContains(t, readErr(c), tc.wantErr)
				sent := p.MustWaitFor(t, SentAlert(ClientToServer, tc.wantAlert))
				require.True(t, sent.Protected)
				delivered := p.Events(func(e Event) bool {
					return e.Dir == ServerToClient && e.Kind == KindDelivered && e.Seq < sent.Seq
				})
				last := delivered[len(delivered)-1]
				require.True(t, tc.injected(last), "%v", last)
			})
		}
	}
}

func protectedByte(e Event) bool {
	return e.Protected && e.Inner == record.ApplicationData && e.Length == 1
}

// TestDelayAndBack: a ToServer hook answers the client's "ping" itself,
// toward the client (Back), after a delay, and the server never sees it.
func TestDelayAndBack(t *testing.T) {
	t.Parallel()
	const delay = 50 * time.Millisecond
	p := Start(t, Config{Scenario: Hooked("pong", Hooks{ToServer: func(r Record) []Action {
		if r.IsApplicationData() && string(r.Payload) == "ping\n" {
			return []Action{Back(Delay(delay), Send(record.ApplicationData, []byte("pong\n")))}
		}
		return nil
	}})})
	c := dial(t, p, tls.VersionTLS13)
	start := time.Now()
	_, err := c.Write([]byte("ping\n"))
	require.NoError(t, err)
	require.Equal(t, "pong\n", readN(t, c, 5))
	require.GreaterOrEqual(t, time.Since(start), delay)
	exchange(t, c, inProcess, "echo\n")
	closeCleanly(t, c)
	require.Equal(t, len("echo\n")+len("ping\n"), appBytes(p.Events(OfKind(ClientToServer, KindSent))))
	require.Equal(t, len("echo\n"), appBytes(p.Events(OfKind(ClientToServer, KindDelivered))))
}

// TestEditClientHello removes TLS 1.3 from the client's supported_versions:
// the TLS 1.3-capable server answers TLS 1.2 with the downgrade sentinel,
// which the client detects.
func TestEditClientHello(t *testing.T) {
	t.Parallel()
	p := Start(t, Config{Scenario: Hooked("downgrade", Hooks{ToServer: EditClientHello(func(ch *handshake.ClientHello) {
		ch.SupportedVersions = slices.DeleteFunc(ch.SupportedVersions, func(v uint16) bool { return v == record.VersionTLS13 })
	})})})
	_, err := dialErr(t, p, tls.VersionTLS12, func(cfg *tls.Config) { cfg.MaxVersion = tls.VersionTLS13 })
	require.ErrorContains(t, err, "downgrade attempt detected")
	p.MustWaitFor(t, SentAlert(ClientToServer, alert.IllegalParameter))
	sh := p.MustWaitFor(t, SentMessage(ServerToClient, handshake.TypeServerHello))
	require.Equal(t, record.Handshake, sh.Inner)
}

// TestMuteSparesOtherDirection: once the server side is muted its own
// records stop at the proxy, while what the other direction's hook writes
// toward the client still goes out. (A hook's own actions after its Mute,
// as in PeerFatalAlert over TLS 1.2, go out too: TestScenarios.)
func TestMuteSparesOtherDirection(t *testing.T) {
	t.Parallel()
	p := Start(t, Config{Scenario: Hooked("mute", Hooks{ToServer: func(r Record) []Action {
		if r.IsApplicationData() && string(r.Payload) == "mute\n" {
			return []Action{Back(Mute(), Send(record.ApplicationData, []byte("muted\n")))}
		}
		if r.IsApplicationData() && string(r.Payload) == "inject\n" {
			return []Action{Back(Send(record.ApplicationData, []byte("injected\n"))), Forward()}
		}
		return nil
	}})})
	c := dial(t, p, tls.VersionTLS13)
	_, err := c.Write([]byte("mute\n"))
	require.NoError(t, err)
	require.Equal(t, "muted\n", readN(t, c, len("muted\n")))
	_, err = c.Write([]byte("inject\n"))
	require.NoError(t, err)
	require.Equal(t, "injected\n", readN(t, c, len("injected\n")))
	// The server's echo of "inject\n" reaches the proxy and stops there.
	p.MustWaitFor(t, func(e Event) bool {
		return e.Dir == ServerToClient && e.Kind == KindSent && e.Inner == record.ApplicationData
	})
	require.Equal(t, len("muted\n")+len("injected\n"), appBytes(p.Events(OfKind(ServerToClient, KindDelivered))))
}
