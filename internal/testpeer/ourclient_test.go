package testpeer

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Our own client, conn, through the proxy: TLS 1.3, the version it speaks.

// ourConfig is a conn.Config that trusts the test certificates and logs
// its secrets to p.
func ourConfig(p *Peer) *conn.Config {
	return &conn.Config{
		RootCAs: Roots(), ServerName: ServerName, KeyLogWriter: p.KeyLog(),
		MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13,
	}
}

// ourDial connects our client through p and runs the handshake.
func ourDial(t *testing.T, p *Peer, edit ...func(*conn.Config)) (*conn.Conn, error) {
	t.Helper()
	cfg := ourConfig(p)
	for _, f := range edit {
		f(cfg)
	}
	c := conn.Client(dialRaw(t, p), cfg)
	return c, c.Handshake()
}

// ourFlow sends n bytes of lines while reading the server's answer.
func ourFlow(t *testing.T, c *conn.Conn, b backend, n int) {
	t.Helper()
	data := lines(n, uint64(n))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	var want []byte
	for i := 0; i < len(data); i += 1024 {
		want = append(want, b.reply(data[i:i+1024])...)
	}
	got := make([]byte, len(want))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.NoError(t, <-errc)
	require.True(t, string(want) == string(got), "the %d bytes that came back differ", n)
}

// TestOurClientTransparent: our client completes TLS 1.3 with each suite
// through the pass-through proxy in front of each server, 1 MiB each way,
// and both close_notify messages cross.
func TestOurClientTransparent(t *testing.T) {
	t.Parallel()
	for _, b := range allBackends {
		for _, sc := range suiteCases[:3] {
			t.Run(b.name+"/"+sc.name(), func(t *testing.T) {
				t.Parallel()
				var args []string
				if b.name != inProcess.name {
					args = sc.serverArgs(b)
				}
				p := b.start(t, PassThrough(), args...)
				c, err := ourDial(t, p, func(cfg *conn.Config) { cfg.CipherSuites = []uint16{sc.id} })
				require.NoError(t, err)
				require.Equal(t, sc.id, c.ConnectionState().CipherSuite)
				ourFlow(t, c, b, mib)
				require.NoError(t, c.Shutdown(waitCtx(t)))
				requireTransparent(t, p)
				require.Equal(t, mib, appBytes(p.Events(OfKind(ClientToServer, KindDelivered))))
			})
		}
	}
}

// ourCase is a scenario and how our client must take it (the alert policy of package
// alert, issue 6's close contract).
type ourCase struct {
	sc    Scenario
	check func(t *testing.T, p *Peer, c *conn.Conn, b backend)
}

// ourReadErr reads until an error.
func ourReadErr(c *conn.Conn) error {
	_, err := io.Copy(io.Discard, c)
	if err == nil {
		return io.EOF
	}
	return err
}

// ourFails checks that reading fails with alert d, sent by us (and seen by
// the proxy) or received.
func ourFails(d alert.Description, remote bool) func(*testing.T, *Peer, *conn.Conn, backend) {
	return func(t *testing.T, p *Peer, c *conn.Conn, _ backend) {
		t.Helper()
		err := ourReadErr(c)
		require.ErrorIs(t, err, d)
		var ae *alert.Error
		require.ErrorAs(t, err, &ae)
		require.Equal(t, remote, ae.Remote)
		if !remote {
			p.MustWaitFor(t, SentAlert(ClientToServer, d))
		}
	}
}

func ourExchanges(t *testing.T, _ *Peer, c *conn.Conn, b backend) {
	t.Helper()
	ourFlow(t, c, b, 64<<10)
}

var ourCases = []ourCase{
	{PeerClosesWithoutNotify(), func(t *testing.T, _ *Peer, c *conn.Conn, _ backend) {
		var te *conn.TruncatedError
		err := ourReadErr(c)
		require.ErrorAs(t, err, &te)
		require.True(t, te.AtRecordBoundary)
		require.NotErrorIs(t, err, io.EOF)
	}},
	{PeerClosesMidRecord(), func(t *testing.T, _ *Peer, c *conn.Conn, _ backend) {
		var te *conn.TruncatedError
		require.ErrorAs(t, ourReadErr(c), &te)
		require.False(t, te.AtRecordBoundary)
	}},
	{PeerAnswersCloseNotify(), func(t *testing.T, p *Peer, c *conn.Conn, _ backend) {
		require.NoError(t, c.Shutdown(waitCtx(t)))
		ours := p.MustWaitFor(t, SentAlert(ClientToServer, alert.CloseNotify))
		p.MustWaitFor(t, TransportEOF(ClientToServer))
		require.Len(t, p.Events(SentAlert(ClientToServer, alert.CloseNotify)), 1)
		require.Empty(t, sentAfter(p, ClientToServer, ours), "nothing after our close_notify")
	}},
	{PeerClosesOnCloseNotify(), func(t *testing.T, _ *Peer, c *conn.Conn, _ backend) {
		var te *conn.TruncatedError
		require.ErrorAs(t, c.Shutdown(waitCtx(t)), &te)
		require.True(t, te.CloseNotifySent)
	}},
	{PeerNeverAnswers(), func(t *testing.T, _ *Peer, c *conn.Conn, _ backend) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, c.Shutdown(ctx), context.DeadlineExceeded)
	}},
	{PeerClosesFirst(), func(t *testing.T, _ *Peer, c *conn.Conn, _ backend) {
		require.Equal(t, io.EOF, ourReadErr(c))
		require.True(t, c.State().CloseNotifyReceived)
	}},
	{PeerUserCanceled(), func(t *testing.T, _ *Peer, c *conn.Conn, _ backend) {
		require.Equal(t, io.EOF, ourReadErr(c), "user_canceled is not fatal in TLS 1.3; close_notify follows")
	}},
	{PeerFatalAlert(alert.InternalError), func(t *testing.T, p *Peer, c *conn.Conn, b backend) {
		ourFails(alert.InternalError, true)(t, p, c, b)
		fatal := p.MustWaitFor(t, DeliveredAlert(ServerToClient, alert.InternalError))
		require.NoError(t, c.Close())
		p.MustWaitFor(t, TransportEOF(ClientToServer))
		require.Empty(t, sentAfter(p, ClientToServer, fatal), "we write nothing after the peer's fatal alert")
	}},
	{PeerWarning(alert.UnrecognizedName), ourFails(alert.UnrecognizedName, true)},
	{PeerHelloRequest(), ourFails(alert.UnexpectedMessage, false)},
	{PeerKeyUpdate(true), func(t *testing.T, p *Peer, c *conn.Conn, b backend) {
		// The first exchange reads the KeyUpdate; "the receiver MUST send a
		// KeyUpdate of its own ... prior to sending its next Application
		// Data record" (RFC 8446, Section 4.6.3).
		ourFlow(t, c, b, 1024)
		ourFlow(t, c, b, 1024)
		ku := p.MustWaitFor(t, SentMessage(ClientToServer, handshake.TypeKeyUpdate))
		data := p.Events(func(e Event) bool {
			return e.Dir == ClientToServer && e.Kind == KindSent && e.Inner == record.ApplicationData
		})
		require.Less(t, ku.Seq, data[len(data)-1].Seq)
		require.Equal(t, 1, data[len(data)-1].Generation)
	}},
	{PeerSplitsRecords(1), func(t *testing.T, _ *Peer, c *conn.Conn, b backend) { ourFlow(t, c, b, 1024) }},
	{PeerPadsRecords(100), ourExchanges},
	{PeerCorruptsRecord(), func(t *testing.T, p *Peer, c *conn.Conn, b backend) {
		_, err := c.Write([]byte("corrupt me\n"))
		require.NoError(t, err)
		ourFails(alert.BadRecordMAC, false)(t, p, c, b)
	}},
	{PeerTrickles(7, 0), ourExchanges},
	{PeerFloodsEmptyRecords(32), ourExchanges},
	{PeerFloodsEmptyRecords(33), ourFails(alert.UnexpectedMessage, false)},
	{PeerFloodsKeyUpdates(32), ourExchanges},
	{PeerFloodsKeyUpdates(33), ourFails(alert.UnexpectedMessage, false)},
	{PeerFloodsChangeCipherSpecs(1), ourFails(alert.UnexpectedMessage, false)},
}

// TestOurClientScenarios plays the scenarios against our client over TLS
// 1.3 through each server.
func TestOurClientScenarios(t *testing.T) {
	t.Parallel()
	for _, b := range allBackends {
		for _, tc := range ourCases {
			t.Run(b.name+"/"+tc.sc.Name, func(t *testing.T) {
				t.Parallel()
				p := b.start(t, tc.sc)
				c, err := ourDial(t, p)
				require.NoError(t, err)
				tc.check(t, p, c, b)
				require.NoError(t, p.Err())
			})
		}
	}
}

// TestOurClientScript: our client refuses broken ServerHellos with the
// alert that the alert policy of package alert names.
func TestOurClientScript(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(sh *handshake.ServerHello)
	}{
		{"unoffered version", func(sh *handshake.ServerHello) { sh.SupportedVersion = 0x0305 }},
		{"unoffered suite", func(sh *handshake.ServerHello) { sh.CipherSuite = 0x1304 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Start(t, Config{Script: func(ch *handshake.ClientHello) []Action {
				sh := ServerHelloFor(ch, record.VersionTLS13)
				tc.edit(sh)
				return []Action{SendMessage(sh)}
			}})
			_, err := ourDial(t, p)
			require.ErrorIs(t, err, alert.IllegalParameter)
			sent := p.MustWaitFor(t, SentAlert(ClientToServer, alert.IllegalParameter))
			require.False(t, sent.Protected)
		})
	}
}

// TestOurClientSwappedRecords: EncryptedExtensions after Certificate is an
// unexpected_message.
func TestOurClientSwappedRecords(t *testing.T) {
	t.Parallel()
	p := Start(t, Config{Scenario: PeerSwapsRecords(2)})
	_, err := ourDial(t, p)
	require.ErrorIs(t, err, alert.UnexpectedMessage)
	sent := p.MustWaitFor(t, SentAlert(ClientToServer, alert.UnexpectedMessage))
	require.True(t, sent.Protected)
	require.False(t, errors.Is(err, io.EOF))
}

// sentAfter returns the records dir's sender sent after event e.
func sentAfter(p *Peer, dir Direction, e Event) []Event {
	return p.Events(func(x Event) bool { return x.Seq > e.Seq && x.Dir == dir && x.Kind == KindSent })
}
