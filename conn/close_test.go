package conn_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
)

// The seed's scenarios (shared/seed/asio-ssl-shutdown.txt) against
// crypto/tls servers scripted to play each part.

// forVersions runs f as a parallel subtest for TLS 1.3 and TLS 1.2: the
// shutdown rules differ (a TLS 1.2 close_notify must be answered).
func forVersions(t *testing.T, f func(t *testing.T, v uint16)) {
	t.Helper()
	t.Parallel()
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			t.Parallel()
			f(t, v)
		})
	}
}

// versionConfig is serverConfig limited to version v.
func versionConfig(t *testing.T, v uint16) *tls.Config {
	cfg := serverConfig(t, "ecdsa")
	cfg.MinVersion, cfg.MaxVersion = v, v
	return cfg
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

// Scenario 1: the peer closes the transport without close_notify; our
// Read and then our Shutdown report truncation.
func TestPeerClosesWithoutNotify(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			io.WriteString(c, "last words")
			return c.NetConn().Close() // a bare FIN
		})
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		got, err := io.ReadAll(c)
		require.Equal(t, "last words", string(got))
		requireTruncated(t, err, true, false)
		err = c.Shutdown(context.Background())
		requireTruncated(t, err, true, true)
		cs := c.State()
		require.True(t, cs.Truncated)
		require.False(t, cs.CloseNotifyReceived)
	})
}

// Scenario 2: we Shutdown; the peer reads our close_notify and closes the
// transport without answering.
func TestShutdownPeerClosesWithoutAnswer(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			if _, err := io.ReadAll(c); err != nil {
				return err
			}
			return c.NetConn().Close()
		})
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		err = c.Shutdown(context.Background())
		requireTruncated(t, err, true, true)
		require.NoError(t, s.nextErr(t), "the server's Read ended with io.EOF at our close_notify")
	})
}

// Scenario 3: we Shutdown and the peer answers: both close_notify alerts
// crossed, and unread application data is discarded and counted.
func TestShutdownPeerAnswers(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			io.WriteString(c, "unread data")
			if _, err := io.ReadAll(c); err != nil {
				return err
			}
			return c.Close() // answers with close_notify
		})
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		require.NoError(t, c.Shutdown(context.Background()))
		cs := c.State()
		require.True(t, cs.CloseNotifySent)
		require.True(t, cs.CloseNotifyReceived)
		require.False(t, cs.Truncated)
		require.Equal(t, int64(len("unread data")), cs.DiscardedBytes)
		require.NoError(t, s.nextErr(t))
		require.ErrorIs(t, c.Close(), net.ErrClosed, "Shutdown closed the transport")
	})
}

// Scenario 4: we Shutdown and the peer never answers: ctx's deadline ends
// the wait, and the transport is closed.
func TestShutdownPeerNeverAnswers(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		release := make(chan struct{})
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			io.ReadAll(c)
			<-release
			return nil
		})
		defer close(release)
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err = c.Shutdown(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.True(t, c.State().CloseNotifySent)
	})
}

// The mirror: the peer sends close_notify first; our Read gets io.EOF and
// our Close answers.
func TestPeerClosesFirst(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			io.WriteString(c, "goodbye")
			if err := c.CloseWrite(); err != nil { // close_notify, transport open
				return err
			}
			_, err := io.ReadAll(c) // io.EOF at our answering close_notify
			return err
		})
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		got, err := io.ReadAll(c)
		require.NoError(t, err, "io.ReadAll maps the verified close_notify's io.EOF to nil")
		require.Equal(t, "goodbye", string(got))
		_, err = c.Read(make([]byte, 1))
		require.Equal(t, io.EOF, err)
		require.True(t, c.State().CloseNotifyReceived)
		require.NoError(t, c.Close())
		require.NoError(t, s.nextErr(t), "the server saw our close_notify")
	})
}

// We Close without waiting: the peer sees our close_notify.
func TestCloseSendsCloseNotify(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			_, err := io.ReadAll(c)
			return err // nil only when a close_notify ended it
		})
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.NoError(t, s.nextErr(t))
		require.ErrorIs(t, c.Close(), net.ErrClosed)
		_, err = c.Read(make([]byte, 1))
		require.ErrorIs(t, err, net.ErrClosed)
		_, err = c.Write([]byte("x"))
		require.ErrorIs(t, err, net.ErrClosed)
	})
}

// We CloseWrite and keep reading the peer's data to io.EOF.
func TestCloseWriteThenRead(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			got, err := io.ReadAll(c)
			if err != nil {
				return err
			}
			io.WriteString(c, "you said "+string(got))
			return c.Close()
		})
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		io.WriteString(c, "half")
		require.NoError(t, c.CloseWrite())
		require.NoError(t, c.CloseWrite(), "a second CloseWrite is a no-op")
		_, err = c.Write([]byte("more"))
		require.ErrorIs(t, err, conn.ErrWriteClosed)
		got, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, "you said half", string(got))
		cs := c.State()
		require.True(t, cs.CloseNotifySent)
		require.True(t, cs.CloseNotifyReceived)
	})
}

func TestCloseWriteBeforeHandshake(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := conn.Client(a, clientConfig(t))
	require.EqualError(t, c.CloseWrite(), "tls: CloseWrite before the handshake completed")
}

// A transport EOF inside a record is the other TruncatedError variant.
func TestTruncatedInsideRecord(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			raw := c.NetConn()
			raw.Write([]byte{23, 3, 3, 0, 64, 1, 2, 3}) // 3 of 64 announced bytes
			return raw.Close()
		})
		var eofs []bool
		cfg := clientConfig(t)
		cfg.Trace = &conn.Trace{TransportEOF: func(atBoundary bool) { eofs = append(eofs, atBoundary) }}
		c, err := dialGo(t, s, cfg)
		require.NoError(t, err)
		_, err = c.Read(make([]byte, 10))
		requireTruncated(t, err, false, false)
		require.Equal(t, []bool{false}, eofs, "Trace.TransportEOF saw the EOF inside a record")
	})
}

func TestCloseRead(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		_, err := io.ReadAll(c)
		return err
	})
	c, err := dialGo(t, s, clientConfig(t))
	require.NoError(t, err)
	require.NoError(t, c.CloseRead())
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, conn.ErrReadClosed)
	// The unidirectional close: our close_notify still goes out.
	require.NoError(t, c.CloseWrite())
	require.NoError(t, s.nextErr(t))
}

// user_canceled then close_notify: a crypto/tls server tolerates the
// first and its Read returns io.EOF at the second.
func TestUserCanceledThenCloseNotify(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		got, err := io.ReadAll(c)
		if err == nil && string(got) != "still here" {
			err = errors.New("server read " + string(got))
		}
		return err
	})
	var sent []alert.Alert
	cfg := clientConfig(t)
	cfg.Trace = &conn.Trace{AlertSent: func(a alert.Alert) { sent = append(sent, a) }}
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	require.NoError(t, c.SendAlert(alert.Warning, alert.UserCanceled))
	_, err = io.WriteString(c, "still here")
	require.NoError(t, err, "user_canceled leaves the connection usable")
	require.NoError(t, c.SendAlert(alert.Warning, alert.CloseNotify))
	require.NoError(t, s.nextErr(t))
	require.Equal(t, []alert.Alert{{Level: alert.Warning, Description: alert.UserCanceled}, {Level: alert.Warning, Description: alert.CloseNotify}}, sent)
}

// A fatal alert through SendAlert ends the connection: later calls return
// the local *alert.Error, and nothing more is written.
func TestSendFatalAlert(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		_, err := io.ReadAll(c)
		return err
	})
	raw, err := net.Dial("tcp", s.addr)
	require.NoError(t, err)
	tap := &tapConn{Conn: raw}
	c := conn.Client(tap, clientConfig(t))
	defer c.Close()
	require.NoError(t, c.Handshake())
	require.NoError(t, c.SendAlert(alert.Fatal, alert.AccessDenied))
	require.EqualError(t, s.nextErr(t), "remote error: tls: access denied")
	before := len(tap.segs)
	_, err = c.Write([]byte("x"))
	var ae *alert.Error
	require.ErrorAs(t, err, &ae)
	require.False(t, ae.Remote)
	require.ErrorIs(t, err, alert.AccessDenied)
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, alert.AccessDenied)
	require.ErrorIs(t, c.SendAlert(alert.Warning, alert.UserCanceled), alert.AccessDenied)
	c.Close()
	for _, seg := range tap.segs[before:] {
		require.False(t, seg.fromClient, "wrote %x after our fatal alert", seg.data)
	}
}

// The peer's fatal alert surfaces as a remote *alert.Error, and we write
// nothing after it (not even close_notify on Close).
func TestPeerFatalAlert(t *testing.T) {
	t.Parallel()
	p := getPKI(t)
	scfg := serverConfig(t, "ecdsa")
	scfg.ClientAuth = tls.RequireAndVerifyClientCert
	scfg.ClientCAs = p.roots
	s := serveGo(t, scfg, echo)
	raw, err := net.Dial("tcp", s.addr)
	require.NoError(t, err)
	tap := &tapConn{Conn: raw}
	c := conn.Client(tap, clientConfig(t))
	require.NoError(t, c.Handshake())
	_, err = c.Read(make([]byte, 1))
	var ae *alert.Error
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.Remote)
	require.Equal(t, alert.Alert{Level: alert.Fatal, Description: alert.CertificateRequired}, ae.Alert)
	tap.mu.Lock()
	before := len(tap.segs)
	tap.mu.Unlock()
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, alert.CertificateRequired)
	require.NoError(t, c.Close())
	require.Equal(t, ae, c.State().TerminalAlert)
	for _, seg := range tap.segs[before:] {
		require.False(t, seg.fromClient, "wrote %x after the peer's fatal alert", seg.data)
	}
}

// Close while Read and Write are blocked: both return net.ErrClosed.
func TestCloseUnblocksReadAndWrite(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		<-release // neither reads nor writes
		return nil
	})
	defer close(release)
	c, err := dialGo(t, s, clientConfig(t))
	require.NoError(t, err)
	readErr, writeErr := make(chan error), make(chan error)
	go func() {
		_, err := c.Read(make([]byte, 1))
		readErr <- err
	}()
	go func() {
		_, err := c.Write(bytes.Repeat([]byte("x"), 64<<20)) // more than the socket buffers hold
		writeErr <- err
	}()
	time.Sleep(50 * time.Millisecond) // let both block; the assertions do not depend on it
	require.NoError(t, c.Close())
	require.ErrorIs(t, <-readErr, net.ErrClosed)
	require.ErrorIs(t, <-writeErr, net.ErrClosed)
}

// Shutdown racing a Write: the Write either completes or reports
// ErrWriteClosed / a timeout, and Shutdown's outcome is one of its
// documented ones. Run under -race.
func TestShutdownRacesWrite(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		io.Copy(io.Discard, c)
		return c.Close()
	})
	c, err := dialGo(t, s, clientConfig(t))
	require.NoError(t, err)
	done := make(chan error)
	go func() {
		var err error
		for err == nil {
			_, err = c.Write([]byte("racing"))
		}
		done <- err
	}()
	require.NoError(t, c.Shutdown(context.Background()))
	werr := <-done
	require.True(t, errors.Is(werr, conn.ErrWriteClosed) || errors.Is(werr, net.ErrClosed), "got %v", werr)
}

// A Write whose deadline passed returns (0, timeout) before sealing
// anything, and the connection stays usable.
func TestWriteDeadlinePassed(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	c, err := dialGo(t, s, clientConfig(t))
	require.NoError(t, err)
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(-time.Second)))
	n, err := c.Write([]byte("late"))
	require.Equal(t, 0, n)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
	require.NoError(t, c.SetWriteDeadline(time.Time{}))
	roundTrip(t, c, "on time")
}

// TestSendAlertBeforeHandshake: a probe may open with an alert. It goes out
// in plaintext as the first record; a fatal one ends the connection, so
// the handshake never starts and returns the alert's error.
func TestSendAlertBeforeHandshake(t *testing.T) {
	t.Parallel()
	for _, level := range []alert.Level{alert.Warning, alert.Fatal} {
		client, server := net.Pipe()
		t.Cleanup(func() { client.Close(); server.Close() })
		c := conn.Client(client, &conn.Config{InsecureSkipVerify: true})
		got := make(chan []byte, 1)
		go func() {
			b := make([]byte, 7)
			_, err := io.ReadFull(server, b)
			if err != nil {
				b = nil
			}
			got <- b
		}()
		require.NoError(t, c.SendAlert(level, alert.UserCanceled))
		require.Equal(t, []byte{21, 3, 1, 0, 2, byte(level), byte(alert.UserCanceled)}, <-got, "a plaintext alert record")
		if level == alert.Fatal {
			err := c.Handshake()
			require.ErrorIs(t, err, alert.UserCanceled)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae)
			require.False(t, ae.Remote)
		}
	}
}
