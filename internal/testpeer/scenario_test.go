package testpeer

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

const tls13, tls12 = tls.VersionTLS13, tls.VersionTLS12

// scenarioCase is a scenario and how crypto/tls's client shows that it
// happened, after a successful handshake.
type scenarioCase struct {
	sc       Scenario
	versions []uint16
	// wantAlert is the alert crypto/tls's client must send in answer
	// (0: none is checked).
	wantAlert alert.Description
	// handshakeErr, when set, is what the failed handshake's error says;
	// check is then not called.
	handshakeErr string
	check        func(t *testing.T, p *Peer, c *tls.Conn, b backend, v uint16)
}

// readFails checks that reading fails with an error whose text contains
// want, crypto/tls's way of telling what it saw.
func readFails(want string) func(*testing.T, *Peer, *tls.Conn, backend, uint16) {
	return func(t *testing.T, _ *Peer, c *tls.Conn, _ backend, _ uint16) {
		t.Helper()
		err := readErr(c)
		require.ErrorContains(t, err, want)
	}
}

// exchanges checks that data still flows both ways.
func exchanges(t *testing.T, _ *Peer, c *tls.Conn, b backend, _ uint16) {
	t.Helper()
	exchange(t, c, b, "still flowing\n")
	flow(t, c, b, 64<<10)
}

var scenarioCases = []scenarioCase{
	{sc: PeerClosesWithoutNotify(), check: checkClosesWithoutNotify},
	{sc: PeerClosesWithoutNotifyAfter(5), check: checkClosesAfter},
	{sc: PeerClosesMidRecord(), check: func(t *testing.T, p *Peer, c *tls.Conn, _ backend, _ uint16) {
		require.ErrorIs(t, readErr(c), io.ErrUnexpectedEOF)
		cut := p.MustWaitFor(t, func(e Event) bool {
			return e.Dir == ServerToClient && e.Kind == KindDelivered && e.Inner == record.ApplicationData
		})
		require.Equal(t, record.HeaderLen+3, cut.Wire)
	}},
	{sc: PeerAnswersCloseNotify(), check: checkAnswersCloseNotify},
	{sc: PeerClosesOnCloseNotify(), check: func(t *testing.T, p *Peer, c *tls.Conn, b backend, _ uint16) {
		exchange(t, c, b, "before closing\n")
		require.NoError(t, c.CloseWrite())
		require.Equal(t, io.EOF, readErr(c), "crypto/tls takes a FIN at a record boundary for a clean end")
		ours := p.MustWaitFor(t, SentAlert(ClientToServer, alert.CloseNotify))
		fin := p.MustWaitFor(t, OfKind(ServerToClient, KindClosed))
		require.Greater(t, fin.Seq, ours.Seq)
		require.Empty(t, p.Events(DeliveredAlert(ServerToClient, alert.CloseNotify)))
	}},
	{sc: PeerNeverAnswers(), check: checkNeverAnswers},
	{sc: PeerClosesFirst(), check: checkClosesFirst},
	{sc: PeerClosesFirstAfter(4), check: func(t *testing.T, p *Peer, c *tls.Conn, b backend, _ uint16) {
		_, err := c.Write([]byte("0123456789\n"))
		require.NoError(t, err)
		got, err := io.ReadAll(c) // crypto/tls: io.EOF at close_notify
		require.NoError(t, err)
		require.Equal(t, string(b.reply([]byte("0123456789\n"))[:4]), string(got))
		require.Empty(t, p.Events(OfKind(ServerToClient, KindClosed)), "the transport stays open")
	}},
	{sc: PeerFatalAlert(alert.InternalError), check: func(t *testing.T, p *Peer, c *tls.Conn, _ backend, _ uint16) {
		require.ErrorContains(t, readErr(c), "remote error: tls: internal error")
		fatal := p.MustWaitFor(t, DeliveredAlert(ServerToClient, alert.InternalError))
		require.Equal(t, alert.Fatal, fatal.Alert.Level)
		p.MustWaitFor(t, OfKind(ServerToClient, KindClosed))
	}},
	{sc: PeerWarning(alert.UnrecognizedName), versions: []uint16{tls12}, check: exchanges},
	// TLS 1.3 has no warnings: crypto/tls takes it as the error it is.
	{sc: PeerWarning(alert.UnrecognizedName), versions: []uint16{tls13}, check: readFails("remote error: tls: unrecognized name")},
	{sc: PeerUserCanceled(), check: func(t *testing.T, p *Peer, c *tls.Conn, _ backend, _ uint16) {
		require.Equal(t, io.EOF, readErr(c), "crypto/tls skips user_canceled and stops at close_notify")
		uc := p.MustWaitFor(t, DeliveredAlert(ServerToClient, alert.UserCanceled))
		cn := p.MustWaitFor(t, DeliveredAlert(ServerToClient, alert.CloseNotify))
		require.Less(t, uc.Seq, cn.Seq)
	}},
	{sc: PeerHelloRequest(), versions: []uint16{tls12}, wantAlert: alert.NoRenegotiation,
		check: readFails("tls: no renegotiation")},
	{sc: PeerHelloRequest(), versions: []uint16{tls13}, wantAlert: alert.UnexpectedMessage,
		check: readFails("unexpected handshake message")},
	{sc: PeerKeyUpdate(false), versions: []uint16{tls13}, check: func(t *testing.T, p *Peer, c *tls.Conn, b backend, v uint16) {
		exchanges(t, p, c, b, v)
		require.Empty(t, p.Events(SentMessage(ClientToServer, handshake.TypeKeyUpdate)))
	}},
	{sc: PeerKeyUpdate(true), versions: []uint16{tls13}, check: func(t *testing.T, p *Peer, c *tls.Conn, b backend, v uint16) {
		exchanges(t, p, c, b, v)
		p.MustWaitFor(t, SentMessage(ClientToServer, handshake.TypeKeyUpdate))
	}},
	{sc: PeerSplitsRecords(1), check: func(t *testing.T, p *Peer, c *tls.Conn, b backend, _ uint16) {
		exchange(t, c, b, "one byte per record\n")
		data := p.Events(func(e Event) bool {
			return e.Dir == ServerToClient && e.Kind == KindDelivered && e.Inner == record.ApplicationData
		})
		require.Len(t, data, len("one byte per record\n"))
		hs := p.Events(func(e Event) bool {
			return e.Dir == ServerToClient && e.Kind == KindDelivered && e.Inner == record.Handshake
		})
		require.Greater(t, len(hs), 100)
		for _, e := range hs {
			require.Equal(t, 1, e.Length, "%v", e)
		}
	}},
	{sc: PeerPadsRecords(100), versions: []uint16{tls13}, check: func(t *testing.T, p *Peer, c *tls.Conn, b backend, v uint16) {
		exchanges(t, p, c, b, v)
		got := p.Events(func(e Event) bool { return e.Dir == ServerToClient && e.Kind == KindDelivered && e.Protected })
		require.NotEmpty(t, got)
		for _, e := range got {
			// header, content, inner type, padding, tag
			require.Equal(t, record.HeaderLen+e.Length+1+100+16, e.Wire, "%v", e)
		}
	}},
	// TLS 1.2 records have no padding: they go out as they came.
	{sc: PeerPadsRecords(100), versions: []uint16{tls12}, check: func(t *testing.T, p *Peer, c *tls.Conn, b backend, v uint16) {
		exchanges(t, p, c, b, v)
		sent := p.Events(func(e Event) bool { return e.Dir == ServerToClient && e.Kind == KindSent && e.Protected })
		got := p.Events(func(e Event) bool { return e.Dir == ServerToClient && e.Kind == KindDelivered && e.Protected })
		require.Equal(t, shape(sent), shape(got))
		for i := range got {
			require.Equal(t, sent[i].Wire, got[i].Wire, "%v", got[i])
		}
	}},
	{sc: PeerCorruptsRecord(), wantAlert: alert.BadRecordMAC, check: func(t *testing.T, _ *Peer, c *tls.Conn, _ backend, _ uint16) {
		_, err := c.Write([]byte("corrupt me\n"))
		require.NoError(t, err)
		require.ErrorContains(t, readErr(c), "bad record MAC")
	}},
	// Records of one message each swapped: EncryptedExtensions and the next
	// (TLS 1.3), Certificate and ServerKeyExchange (TLS 1.2).
	{sc: PeerSwapsRecords(2), versions: []uint16{tls13}, wantAlert: alert.UnexpectedMessage,
		handshakeErr: "unexpected handshake message"},
	{sc: PeerSwapsRecords(1), versions: []uint16{tls12}, wantAlert: alert.UnexpectedMessage,
		handshakeErr: "unexpected handshake message"},
	{sc: PeerResets(), check: func(t *testing.T, p *Peer, c *tls.Conn, _ backend, _ uint16) {
		require.ErrorIs(t, readErr(c), syscall.ECONNRESET)
		p.MustWaitFor(t, OfKind(ServerToClient, KindReset))
	}},
	{sc: PeerStopsReading(), check: checkStopsReading},
	{sc: PeerTrickles(7, 0), check: exchanges},
	// crypto/tls tolerates 16 useless records in a row; openssl and gnutls
	// add their tickets to the count in TLS 1.3.
	{sc: PeerFloodsEmptyRecords(8), check: exchanges},
	{sc: PeerFloodsEmptyRecords(17), wantAlert: alert.UnexpectedMessage, check: readFails("too many ignored records")},
	{sc: PeerFloodsWarnings(8), check: exchanges},
	{sc: PeerFloodsWarnings(17), wantAlert: alert.UnexpectedMessage, check: readFails("too many ignored records")},
	{sc: PeerFloodsKeyUpdates(8), versions: []uint16{tls13}, check: exchanges},
	{sc: PeerFloodsKeyUpdates(17), versions: []uint16{tls13}, wantAlert: alert.UnexpectedMessage,
		check: readFails("too many non-advancing records")},
	{sc: PeerFloodsTickets(17), versions: []uint16{tls13}, wantAlert: alert.UnexpectedMessage,
		check: readFails("too many non-advancing records")},
	{sc: PeerFloodsHelloRequests(5), versions: []uint16{tls12}, wantAlert: alert.NoRenegotiation,
		check: readFails("tls: no renegotiation")},
	{sc: PeerFloodsChangeCipherSpecs(17), versions: []uint16{tls13}, wantAlert: alert.UnexpectedMessage,
		check: readFails("too many ignored records")},
	{sc: PeerFloodsChangeCipherSpecs(1), versions: []uint16{tls12}, wantAlert: alert.UnexpectedMessage,
		check: readFails("unexpected message")},
}

// TestScenarios plays every scenario through each real server, at each
// version it applies to, against crypto/tls's client.
func TestScenarios(t *testing.T) {
	t.Parallel()
	for _, b := range allBackends {
		for _, tc := range scenarioCases {
			for _, ver := range versions {
				if tc.versions != nil && !slices.Contains(tc.versions, ver.v) {
					continue
				}
				t.Run(b.name+"/"+tc.sc.Name+"/"+ver.name, func(t *testing.T) {
					t.Parallel()
					p := b.start(t, tc.sc)
					c, err := dialErr(t, p, ver.v)
					if tc.handshakeErr != "" {
						require.ErrorContains(t, err, tc.handshakeErr)
					} else {
						require.NoError(t, err)
						tc.check(t, p, c, b, ver.v)
					}
					if tc.wantAlert != 0 {
						sent := p.MustWaitFor(t, SentAlert(ClientToServer, tc.wantAlert))
						require.Equal(t, ver.v == tls13 || tc.wantAlert != alert.NoRenegotiation,
							sent.Alert.Level == alert.Fatal, "level of %v", sent.Alert)
					}
					require.NoError(t, p.Err())
				})
			}
		}
	}
}

func checkClosesWithoutNotify(t *testing.T, p *Peer, c *tls.Conn, _ backend, _ uint16) {
	// crypto/tls reports a FIN at a record boundary as io.EOF, as if the
	// close were clean: the very weakness this project exists to fix.
	require.Equal(t, io.EOF, readErr(c))
	p.MustWaitFor(t, OfKind(ServerToClient, KindClosed))
	require.Empty(t, p.Events(DeliveredAlert(ServerToClient, alert.CloseNotify)))
}

func checkClosesAfter(t *testing.T, p *Peer, c *tls.Conn, b backend, _ uint16) {
	line := []byte("0123456789\n")
	_, err := c.Write(line)
	require.NoError(t, err)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, string(b.reply(line)[:5]), string(got))
	require.Empty(t, p.Events(DeliveredAlert(ServerToClient, alert.CloseNotify)))
}

func checkAnswersCloseNotify(t *testing.T, p *Peer, c *tls.Conn, b backend, _ uint16) {
	exchange(t, c, b, "before closing\n")
	require.NoError(t, c.CloseWrite())
	require.Equal(t, io.EOF, readErr(c))
	ours := p.MustWaitFor(t, SentAlert(ClientToServer, alert.CloseNotify))
	answer := p.MustWaitFor(t, DeliveredAlert(ServerToClient, alert.CloseNotify))
	require.Greater(t, answer.Seq, ours.Seq)
	require.Len(t, p.Events(DeliveredAlert(ServerToClient, alert.CloseNotify)), 1)
	p.MustWaitFor(t, OfKind(ServerToClient, KindClosed))
}

func checkNeverAnswers(t *testing.T, p *Peer, c *tls.Conn, b backend, _ uint16) {
	exchange(t, c, b, "before closing\n")
	require.NoError(t, c.CloseWrite())
	p.MustWaitFor(t, SentAlert(ClientToServer, alert.CloseNotify))
	// Nothing comes: only a deadline can show it.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	var ne net.Error
	require.ErrorAs(t, readErr(c), &ne)
	require.True(t, ne.Timeout())
	require.Empty(t, p.Events(DeliveredAlert(ClientToServer, alert.CloseNotify)))
	require.Empty(t, p.Events(DeliveredAlert(ServerToClient, alert.CloseNotify)))
}

func checkClosesFirst(t *testing.T, p *Peer, c *tls.Conn, b backend, _ uint16) {
	require.Equal(t, io.EOF, readErr(c))
	first := p.MustWaitFor(t, DeliveredAlert(ServerToClient, alert.CloseNotify))
	// The client may still write: its data reaches the server, whose
	// answer the proxy drops.
	_, err := c.Write([]byte("after your close_notify\n"))
	require.NoError(t, err)
	p.MustWaitFor(t, func(e Event) bool {
		return e.Dir == ServerToClient && e.Kind == KindSent && e.Inner == record.ApplicationData
	})
	require.Empty(t, p.Events(func(e Event) bool {
		return e.Dir == ServerToClient && e.Kind != KindSent && e.Seq > first.Seq
	}), "nothing reaches the client after close_notify, and the transport stays open")
}

func checkStopsReading(t *testing.T, p *Peer, c *tls.Conn, _ backend, _ uint16) {
	// The socket buffers take a few MiB; then the client's Write blocks
	// until its deadline.
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(500*time.Millisecond)))
	n, err := c.Write(make([]byte, 64*mib))
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
	require.Less(t, n, 64*mib)
	require.Less(t, appBytes(p.Events(OfKind(ClientToServer, KindSent))), n+1)
}
