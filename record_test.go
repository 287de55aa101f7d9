package tlsrecord_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

const module = "github.com/tlsrecord/tlsrecord"

// layers lists the packages from the bottom up: each may import only those
// before it (the layering in README.md).
var layers = []string{"alert", "record", "cipher", "handshake", "conn", "conn/conntest", "cmd/tlsrec"}

// TestImportsPointDown fails when a layer imports one above it, or when
// gopacket leaks into a library package.
func TestImportsPointDown(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	rank := map[string]int{}
	for i, l := range layers {
		rank[module+"/"+l] = i
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		r, isLayer := rank[pkg]
		for _, imp := range imports {
			if ir, ok := rank[imp]; ok && isLayer {
				require.Less(t, ir, r, "%s imports %s: imports must point down", pkg, imp)
			}
			if isLayer && pkg != module+"/cmd/tlsrec" {
				require.NotContains(t, imp, "gopacket", "%s imports %s: gopacket belongs to cmd/ and tests", pkg, imp)
			}
		}
		if isLayer {
			checked++
		}
	}
	require.GreaterOrEqual(t, checked, 3, "go list found too few layer packages:\n%s", out)
}

// The seed's shutdown scenarios (shared/seed/asio-ssl-shutdown.txt) and
// their mirrors, end to end: our client against internal/testpeer, a
// man-in-the-middle in front of a real crypto/tls server that plays each
// part, with the proxy's timeline as the witness of what went over the
// wire.

// versions are the protocol versions every scenario runs on.
var versions = []uint16{tls.VersionTLS13, tls.VersionTLS12}

const deadline = 10 * time.Second

// forEachVersion runs f as a parallel subtest per version.
func forEachVersion(t *testing.T, f func(t *testing.T, v uint16)) {
	t.Helper()
	t.Parallel()
	for _, v := range versions {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			t.Parallel()
			f(t, v)
		})
	}
}

// dialPeer starts a testpeer playing sc and connects our client to it.
func dialPeer(t *testing.T, v uint16, sc testpeer.Scenario, edit ...func(*conn.Config)) (*testpeer.Peer, *conn.Conn) {
	t.Helper()
	p := testpeer.Start(t, testpeer.Config{Scenario: sc})
	cfg := &conn.Config{
		ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(), KeyLogWriter: p.KeyLog(),
		MinVersion: v, MaxVersion: v,
	}
	for _, f := range edit {
		f(cfg)
	}
	raw, err := net.DialTimeout("tcp", p.Addr(), deadline)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(deadline)))
	c := conn.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Handshake())
	return p, c
}

func requireTruncated(t *testing.T, err error, atBoundary, notifySent bool) {
	t.Helper()
	var te *conn.TruncatedError
	require.ErrorAs(t, err, &te, "got %v", err)
	require.ErrorIs(t, err, conn.ErrTruncated)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.NotErrorIs(t, err, io.EOF, "truncation must never look like a clean close")
	require.Equal(t, atBoundary, te.AtRecordBoundary, "AtRecordBoundary")
	require.Equal(t, notifySent, te.CloseNotifySent, "CloseNotifySent")
}

// clientRecords returns what our client sent, as the proxy saw it.
func clientRecords(p *testpeer.Peer) []testpeer.Event {
	return p.Events(testpeer.SentRecords(testpeer.ClientToServer))
}

// requireOneCloseNotifyLast asserts that our client sent exactly one
// close_notify and nothing after it.
func requireOneCloseNotifyLast(t *testing.T, p *testpeer.Peer) {
	t.Helper()
	p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.CloseNotify))
	recs := clientRecords(p)
	n := 0
	for _, e := range recs {
		if e.IsAlert(alert.CloseNotify) {
			n++
		}
	}
	require.Equal(t, 1, n, "close_notify alerts sent")
	require.True(t, recs[len(recs)-1].IsAlert(alert.CloseNotify), "the last record we sent is close_notify, got %v", recs[len(recs)-1])
}

// Seed scenario 1: the peer closes without close_notify, then we Shutdown.
func TestScenarioPeerClosesWithoutNotify(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PeerClosesWithoutNotify())
		_, err := c.Read(make([]byte, 1))
		requireTruncated(t, err, true, false)
		err = c.Shutdown(context.Background())
		requireTruncated(t, err, true, true)
		require.True(t, c.State().Truncated)
		p.MustWaitFor(t, testpeer.OfKind(testpeer.ServerToClient, testpeer.KindClosed))
	})
}

// Seed scenario 2: we Shutdown and the peer closes without answering.
func TestScenarioShutdownUnanswered(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PeerClosesOnCloseNotify())
		err := c.Shutdown(context.Background())
		requireTruncated(t, err, true, true)
		requireOneCloseNotifyLast(t, p)
	})
}

// Seed scenario 3: we Shutdown and the peer answers: nil.
func TestScenarioShutdownAnswered(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PeerAnswersCloseNotify())
		require.NoError(t, c.Shutdown(context.Background()))
		cs := c.State()
		require.True(t, cs.CloseNotifySent)
		require.True(t, cs.CloseNotifyReceived)
		requireOneCloseNotifyLast(t, p)
		p.MustWaitFor(t, testpeer.DeliveredAlert(testpeer.ServerToClient, alert.CloseNotify))
	})
}

// Seed scenario 4 (the workaround's case): we Shutdown and the peer never
// answers; ctx ends the wait.
func TestScenarioShutdownNeverAnswered(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PeerNeverAnswers())
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := c.Shutdown(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		requireOneCloseNotifyLast(t, p)
	})
}

// The mirror: the peer sends close_notify first; Read gets io.EOF and our
// Close answers.
func TestScenarioPeerClosesFirst(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PeerClosesFirstAfter(4))
		_, err := c.Write([]byte("ping"))
		require.NoError(t, err)
		got, err := io.ReadAll(c)
		require.NoError(t, err, "io.EOF after the verified close_notify")
		require.Equal(t, "ping", string(got))
		require.NoError(t, c.Close())
		requireOneCloseNotifyLast(t, p)
	})
}

// We Close without waiting: the peer sees exactly one close_notify.
func TestScenarioCloseWithoutWaiting(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PassThrough())
		require.NoError(t, c.Close())
		requireOneCloseNotifyLast(t, p)
	})
}

// We CloseWrite and read the peer's data to io.EOF (the echo server
// answers our close_notify with its own once it has echoed everything).
func TestScenarioCloseWriteKeepsReading(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PassThrough())
		_, err := c.Write([]byte("half-closed"))
		require.NoError(t, err)
		require.NoError(t, c.CloseWrite())
		got, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, "half-closed", string(got))
		requireOneCloseNotifyLast(t, p)
	})
}

// user_canceled then close_notify: reported, not fatal, then io.EOF.
func TestScenarioPeerUserCanceled(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		var got []alert.Alert
		_, c := dialPeer(t, v, testpeer.PeerUserCanceled(), func(cfg *conn.Config) {
			cfg.Trace = &conn.Trace{AlertReceived: func(a alert.Alert) { got = append(got, a) }}
		})
		_, err := c.Read(make([]byte, 1))
		require.Equal(t, io.EOF, err)
		require.Equal(t, []alert.Alert{
			{Level: alert.Warning, Description: alert.UserCanceled},
			{Level: alert.Warning, Description: alert.CloseNotify},
		}, got)
	})
}

// The peer's fatal alert is a remote *alert.Error, and we send nothing
// after it, not even close_notify on Close.
func TestScenarioPeerFatalAlert(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PeerFatalAlert(alert.InternalError))
		_, err := c.Read(make([]byte, 1))
		var ae *alert.Error
		require.ErrorAs(t, err, &ae)
		require.True(t, ae.Remote)
		require.Equal(t, alert.Alert{Level: alert.Fatal, Description: alert.InternalError}, ae.Alert)
		require.EqualError(t, err, "remote error: tls: internal_error")
		before := len(clientRecords(p))
		_, err = c.Write([]byte("x"))
		require.ErrorIs(t, err, alert.InternalError)
		require.NoError(t, c.Close())
		p.MustWaitFor(t, testpeer.TransportEOF(testpeer.ClientToServer))
		require.Len(t, clientRecords(p), before, "records sent after the peer's fatal alert")
	})
}

// A TLS 1.3 warning-level alert other than close_notify and user_canceled
// is an error alert "regardless of the AlertLevel" (RFC 8446, Section 6).
func TestScenarioPeerWarning13IsFatal(t *testing.T) {
	t.Parallel()
	_, c := dialPeer(t, tls.VersionTLS13, testpeer.PeerWarning(alert.UnrecognizedName))
	_, err := c.Read(make([]byte, 1))
	var ae *alert.Error
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.Remote)
	require.ErrorIs(t, err, alert.UnrecognizedName)
}

// EOF inside a record and an RST are truncations too.
func TestScenarioTruncations(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		_, c := dialPeer(t, v, testpeer.PeerClosesMidRecord())
		_, err := c.Read(make([]byte, 1))
		requireTruncated(t, err, false, false)

		_, c = dialPeer(t, v, testpeer.PeerResets())
		_, err = c.Read(make([]byte, 1))
		require.ErrorIs(t, err, conn.ErrTruncated, "an RST is a truncation")
	})
}

// Floods are cut off with unexpected_message (alert policy, package alert), sent
// once, and the client sends nothing after it.
func TestScenarioFloods(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		floods := []testpeer.Scenario{
			testpeer.PeerFloodsEmptyRecords(33),
			testpeer.PeerFloodsWarnings(5),
			testpeer.PeerFloodsChangeCipherSpecs(1),
		}
		if v == tls.VersionTLS13 {
			floods = append(floods, testpeer.PeerFloodsKeyUpdates(33))
		}
		for _, sc := range floods {
			t.Run(sc.Name, func(t *testing.T) {
				p, c := dialPeer(t, v, sc)
				_, err := c.Read(make([]byte, 1))
				var ae *alert.Error
				require.ErrorAs(t, err, &ae, "got %v", err)
				require.False(t, ae.Remote)
				require.Equal(t, alert.UnexpectedMessage, ae.Alert.Description)
				p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.UnexpectedMessage))
				c.Close()
				recs := clientRecords(p)
				require.True(t, recs[len(recs)-1].IsAlert(alert.UnexpectedMessage), "nothing after our fatal alert")
			})
		}
	})
}

// A corrupted record is bad_record_mac, sent once.
func TestScenarioCorruptRecord(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PeerCorruptsRecord())
		_, err := c.Write([]byte("ping"))
		require.NoError(t, err)
		_, err = c.Read(make([]byte, 4))
		require.ErrorIs(t, err, alert.BadRecordMAC)
		require.EqualError(t, err, "tls: bad_record_mac")
		p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.BadRecordMAC))
	})
}

// A KeyUpdate requesting ours is answered before our next data.
func TestScenarioKeyUpdateAnswered(t *testing.T) {
	t.Parallel()
	p, c := dialPeer(t, tls.VersionTLS13, testpeer.PeerKeyUpdate(true))
	_, err := c.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	_, err = c.Write([]byte("pong"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, "pong", string(buf))
	ku := p.MustWaitFor(t, testpeer.SentMessage(testpeer.ClientToServer, handshake.TypeKeyUpdate))
	var after []testpeer.Event
	for _, e := range clientRecords(p) {
		if e.Seq > ku.Seq && e.Inner == record.ApplicationData {
			after = append(after, e)
		}
	}
	require.NotEmpty(t, after, "our data after the KeyUpdate")
	require.Equal(t, ku.Generation+1, after[0].Generation, "the data after it uses the next keys")
}

// Records split to one byte or padded still make a working connection.
func TestScenarioSplitAndPadded(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		for _, sc := range []testpeer.Scenario{testpeer.PeerSplitsRecords(1), testpeer.PeerPadsRecords(100)} {
			t.Run(sc.Name, func(t *testing.T) {
				_, c := dialPeer(t, v, sc)
				_, err := c.Write([]byte("through a strange peer"))
				require.NoError(t, err)
				buf := make([]byte, len("through a strange peer"))
				_, err = io.ReadFull(c, buf)
				require.NoError(t, err)
				require.Equal(t, "through a strange peer", string(buf))
			})
		}
	})
}

// A KeyUpdate the peer asked for is paid by Close, before close_notify, if
// no data was written after it.
func TestScenarioKeyUpdatePaidByClose(t *testing.T) {
	t.Parallel()
	p, c := dialPeer(t, tls.VersionTLS13, testpeer.PeerKeyUpdate(true))
	_, err := c.Write([]byte("ping"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 4)) // the KeyUpdate precedes the echo
	require.NoError(t, err)
	require.NoError(t, c.Close())
	requireOneCloseNotifyLast(t, p)
	recs := clientRecords(p)
	require.True(t, recs[len(recs)-2].HasMessage(handshake.TypeKeyUpdate), "our KeyUpdate right before close_notify, got %v", recs[len(recs)-2])
}

// A KeyUpdate read while a long Write is in flight is paid between its
// chunks, before the Write's later records.
func TestScenarioKeyUpdateDuringLongWrite(t *testing.T) {
	t.Parallel()
	p, c := dialPeer(t, tls.VersionTLS13, testpeer.PeerKeyUpdate(true))
	data := make([]byte, 16<<20)
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyN(io.Discard, c, int64(len(data)))
		done <- err
	}()
	_, err := c.Write(data)
	require.NoError(t, err)
	require.NoError(t, <-done)
	ku := p.MustWaitFor(t, testpeer.SentMessage(testpeer.ClientToServer, handshake.TypeKeyUpdate))
	recs := clientRecords(p)
	require.Greater(t, recs[len(recs)-1].Seq, ku.Seq, "the Write went on under the new keys after paying the KeyUpdate")
}

// A NewSessionTicket is reported through Trace; one whose lifetime exceeds
// 7 days is illegal_parameter (RFC 8446, Section 4.6.1).
func TestScenarioSessionTickets(t *testing.T) {
	t.Parallel()
	var tickets []*handshake.NewSessionTicket
	_, c := dialPeer(t, tls.VersionTLS13, testpeer.PassThrough(), func(cfg *conn.Config) {
		cfg.Trace = &conn.Trace{SessionTicket: func(nst *handshake.NewSessionTicket) { tickets = append(tickets, nst) }}
	})
	_, err := c.Write([]byte("ping"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 4))
	require.NoError(t, err)
	require.NotEmpty(t, tickets, "crypto/tls issues tickets after the handshake")
	require.LessOrEqual(t, tickets[0].Lifetime, uint32(604800))

	tooLong := testpeer.Hooked("TicketTooLong", testpeer.AtHandshakeEnd(
		testpeer.SendMessage(&handshake.NewSessionTicket{Lifetime: 604801, Ticket: []byte("ticket")})))
	p, c := dialPeer(t, tls.VersionTLS13, tooLong)
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, alert.IllegalParameter)
	p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.IllegalParameter))
}

// A TLS 1.2 warning reaches Trace and leaves the connection usable; a
// HelloRequest is refused with a warning no_renegotiation (RFC 5246,
// Section 7.2.2), and Read then ends the connection at once with the error
// naming the request, as crypto/tls's does.
func TestScenarioTLS12Warnings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sc       testpeer.Scenario
		received []alert.Alert
		sent     []alert.Alert
	}{
		{testpeer.PeerWarning(alert.UnrecognizedName), []alert.Alert{{Level: alert.Warning, Description: alert.UnrecognizedName}}, nil},
		{testpeer.PeerHelloRequest(), nil, []alert.Alert{{Level: alert.Warning, Description: alert.NoRenegotiation}}},
	} {
		t.Run(tc.sc.Name, func(t *testing.T) {
			t.Parallel()
			var received, sent []alert.Alert
			p, c := dialPeer(t, tls.VersionTLS12, tc.sc, func(cfg *conn.Config) {
				cfg.Trace = &conn.Trace{
					AlertReceived: func(a alert.Alert) { received = append(received, a) },
					AlertSent:     func(a alert.Alert) { sent = append(sent, a) },
				}
			})
			if len(tc.sent) > 0 {
				_, err := c.Read(make([]byte, 1))
				require.ErrorIs(t, err, alert.NoRenegotiation)
				require.ErrorContains(t, err, "renegotiation")
				require.Equal(t, tc.sent, sent)
				p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.NoRenegotiation))
				return
			}
			for _, msg := range []string{"first", "second"} {
				_, err := c.Write([]byte(msg))
				require.NoError(t, err)
				buf := make([]byte, len(msg))
				_, err = io.ReadFull(c, buf)
				require.NoError(t, err, "the connection stays usable")
				require.Equal(t, msg, string(buf))
			}
			require.Equal(t, tc.received, received)
			require.Equal(t, tc.sent, sent)
			for _, a := range tc.sent {
				p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, a.Description))
			}
		})
	}
}

// Our user_canceled then close_notify, as the peer saw them: both in
// order, nothing after, and the connection usable in between.
func TestScenarioWeSendUserCanceled(t *testing.T) {
	forEachVersion(t, func(t *testing.T, v uint16) {
		p, c := dialPeer(t, v, testpeer.PassThrough())
		require.NoError(t, c.SendAlert(alert.Warning, alert.UserCanceled))
		_, err := c.Write([]byte("still usable"))
		require.NoError(t, err)
		require.NoError(t, c.SendAlert(alert.Warning, alert.CloseNotify))
		requireOneCloseNotifyLast(t, p)
		var alerts []alert.Alert
		for _, e := range clientRecords(p) {
			if e.Alert != nil {
				alerts = append(alerts, *e.Alert)
			}
		}
		require.Equal(t, []alert.Alert{{Level: alert.Warning, Description: alert.UserCanceled}, {Level: alert.Warning, Description: alert.CloseNotify}}, alerts)
	})
}
