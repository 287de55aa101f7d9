package conn_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// The rare paths: a write that times out half-way through a key change, a
// context that ends, a peer that resets. Each test here failed before its
// fix.

// faultConn lets a test make the next transport write fail after part of
// it went out, and counts the writes.
type faultConn struct {
	net.Conn
	mu        sync.Mutex
	failAfter int   // bytes the next write passes before failing; -1 for none
	failErr   error // the error it fails with
	writes    int
	onWrite   func(n int) // called after each successful write, with its count
}

func newFaultConn(c net.Conn) *faultConn { return &faultConn{Conn: c, failAfter: -1} }

// failNext makes the next write pass keep bytes and fail with err.
func (f *faultConn) failNext(keep int, err error) {
	f.mu.Lock()
	f.failAfter, f.failErr = keep, err
	f.mu.Unlock()
}

func (f *faultConn) Write(p []byte) (int, error) {
	f.mu.Lock()
	keep, ferr := f.failAfter, f.failErr
	f.failAfter = -1
	f.writes++
	count, onWrite := f.writes, f.onWrite
	f.mu.Unlock()
	if keep >= 0 {
		n, err := f.Conn.Write(p[:min(keep, len(p))])
		if err != nil {
			return n, err
		}
		return n, ferr
	}
	n, err := f.Conn.Write(p)
	if err == nil && onWrite != nil {
		onWrite(count)
	}
	return n, err
}

func (f *faultConn) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// dialFault dials addr through a faultConn, with a deadline on the whole
// conversation, and runs the handshake.
func dialFault(t *testing.T, addr string, cfg *conn.Config) (*conn.Conn, *faultConn) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(20*time.Second)))
	fc := newFaultConn(raw)
	c := conn.Client(fc, cfg)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Handshake())
	return c, fc
}

// A KeyUpdate whose transport write times out part-way has been sealed:
// "After sending a KeyUpdate message, the sender SHALL send all its
// traffic using the next generation of keys" (RFC 8446, Section 4.6.3),
// so what follows, sent once the transport takes it again, is sealed
// under the next keys and the peer reads it.
func TestKeyUpdateWriteTimesOut(t *testing.T) {
	t.Parallel()
	timeout := os.ErrDeadlineExceeded
	t.Run("UpdateKeys-then-Write", func(t *testing.T) {
		t.Parallel()
		s := serveGo(t, serverConfig(t, "ecdsa"), echo)
		c, fc := dialFault(t, s.addr, clientConfig(t))
		fc.failNext(3, timeout)
		err := c.UpdateKeys(false)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		roundTrip(t, c, "under the next keys")
		roundTrip(t, c, "and still")
		require.NoError(t, c.Close())
		require.NoError(t, s.nextErr(t), "the server read KeyUpdate, data and close_notify")
	})
	t.Run("UpdateKeys-then-Close", func(t *testing.T) {
		t.Parallel()
		s := serveGo(t, serverConfig(t, "ecdsa"), readToEOF)
		c, fc := dialFault(t, s.addr, clientConfig(t))
		fc.failNext(0, timeout)
		require.ErrorIs(t, c.UpdateKeys(true), os.ErrDeadlineExceeded)
		require.NoError(t, c.Close())
		require.NoError(t, s.nextErr(t), "the server's Read ended at our close_notify, not at bad_record_mac")
	})
	t.Run("requested-then-Write", func(t *testing.T) {
		t.Parallel()
		p := testpeer.Start(t, testpeer.Config{Scenario: testpeer.PeerKeyUpdate(true)})
		c, fc := dialFault(t, p.Addr(), peerConfig(p))
		roundTrip(t, c, "reads the KeyUpdate") // and owes the server one
		fc.failNext(5, timeout)
		_, err := c.Write([]byte("first try"))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		roundTrip(t, c, "second try")
		require.NoError(t, c.Close())
		p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.CloseNotify))
		require.NoError(t, p.Err())
	})
	t.Run("requested-then-Close", func(t *testing.T) {
		t.Parallel()
		p := testpeer.Start(t, testpeer.Config{Scenario: testpeer.PeerKeyUpdate(true)})
		c, fc := dialFault(t, p.Addr(), peerConfig(p))
		roundTrip(t, c, "reads the KeyUpdate")
		fc.failNext(2, timeout)
		require.ErrorIs(t, c.CloseWrite(), os.ErrDeadlineExceeded)
		require.NoError(t, c.Close())
		p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, alert.CloseNotify))
		require.NoError(t, p.Err())
	})
}

// readToEOF reads until the client's close_notify.
func readToEOF(c *tls.Conn) error {
	_, err := io.Copy(io.Discard, c)
	return err
}

// silentServer accepts connections and reads them without ever answering.
func silentServer(t *testing.T) string {
	t.Helper()
	return acceptLoop(t, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// within runs f and fails the test when it does not return within d.
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still running after %v", d)
		return nil
	}
}

// A context that ends during the handshake: the first call already
// returns an error matching ctx.Err(), as crypto/tls's does, and later
// calls the same.
func TestHandshakeContextEnds(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	t.Run("HandshakeContext", func(t *testing.T) {
		t.Parallel()
		raw, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		c := conn.Client(raw, clientConfig(t))
		defer c.Close()
		err = within(t, 5*time.Second, func() error { return c.HandshakeContext(short()) })
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, c.Handshake(), context.DeadlineExceeded, "sticky")
	})
	t.Run("DialContext", func(t *testing.T) {
		t.Parallel()
		d := &conn.Dialer{Config: clientConfig(t)}
		err := within(t, 5*time.Second, func() error {
			_, err := d.DialContext(short(), "tcp", addr)
			return err
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("Shutdown", func(t *testing.T) {
		t.Parallel()
		raw, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		c := conn.Client(raw, clientConfig(t))
		err = within(t, 5*time.Second, func() error { return c.Shutdown(short()) })
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// A context that ends just after the handshake succeeded has closed the
// transport (its AfterFunc ran): HandshakeContext must report ctx.Err(),
// not nil over a dead transport. The client's second flight is the last
// write of the handshake; the context ends right after it, and the write
// returns only once the transport was closed.
func TestHandshakeContextEndsAfterSuccess(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	raw, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	require.NoError(t, err)
	closed := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fc := newFaultConn(&closeSignal{Conn: raw, closed: closed})
	fc.onWrite = func(n int) {
		if n == 2 { // ClientHello, then CCS and Finished
			cancel()
			<-closed
		}
	}
	c := conn.Client(fc, clientConfig(t))
	defer c.Close()
	err = within(t, 5*time.Second, func() error { return c.HandshakeContext(ctx) })
	require.ErrorIs(t, err, context.Canceled)
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, context.Canceled)
}

// closeSignal closes closed when Close is called.
type closeSignal struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (c *closeSignal) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { close(c.closed) })
	return err
}

// Dialer.NetDialer's Timeout and Deadline bound the handshake too, as
// tls.Dialer's do: a server that accepts and never answers does not hang
// the Dial.
func TestDialerTimeoutBoundsHandshake(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	for name, nd := range map[string]*net.Dialer{
		"Timeout":  {Timeout: 200 * time.Millisecond},
		"Deadline": {Deadline: time.Now().Add(300 * time.Millisecond)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := &conn.Dialer{NetDialer: nd, Config: clientConfig(t)}
			err := within(t, 5*time.Second, func() error {
				_, err := d.DialContext(context.Background(), "tcp", addr)
				return err
			})
			require.ErrorIs(t, err, context.DeadlineExceeded)
			var ne net.Error
			require.ErrorAs(t, err, &ne)
			require.True(t, ne.Timeout())
		})
	}
}

// After the peer's RST, Close has no one to tell: it writes nothing and
// returns nil (the reset was reported by Read).
func TestCloseAfterPeerReset(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			io.WriteString(c, "bye")
			c.NetConn().(*net.TCPConn).SetLinger(0)
			return c.NetConn().Close() // RST
		})
		c, fc := dialFault(t, s.addr, clientConfig(t))
		got, err := io.ReadAll(c)
		require.Equal(t, "bye", string(got))
		requireTruncatedAny(t, err)
		before := fc.writeCount()
		require.NoError(t, c.Close())
		require.Equal(t, before, fc.writeCount(), "nothing written after the peer's reset")
	})
}

// Shutdown after the peer's RST writes nothing either, and returns the
// truncation Read reported, saying our close_notify did not go out.
func TestShutdownAfterPeerReset(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			io.WriteString(c, "bye")
			c.NetConn().(*net.TCPConn).SetLinger(0)
			return c.NetConn().Close() // RST
		})
		c, fc := dialFault(t, s.addr, clientConfig(t))
		got, err := io.ReadAll(c)
		require.Equal(t, "bye", string(got))
		requireTruncatedAny(t, err)
		before := fc.writeCount()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = c.Shutdown(ctx)
		var te *conn.TruncatedError
		require.ErrorAs(t, err, &te)
		require.False(t, te.CloseNotifySent)
		require.NotContains(t, err.Error(), "broken pipe")
		require.Equal(t, before, fc.writeCount(), "nothing written after the peer's reset")
		require.False(t, c.State().CloseNotifySent)
	})
}

// After the peer's FIN without close_notify, Close still sends ours ("Each
// party MUST send a "close_notify" alert before closing its write side of
// the connection", RFC 8446, Section 6.1): a peer that only half-closed
// reads it. A write error there is not Close's error: Read already
// reported the truncation.
func TestCloseAfterPeerFIN(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		t.Run("half-closed-peer-reads-it", func(t *testing.T) {
			s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
				if err := c.NetConn().(*net.TCPConn).CloseWrite(); err != nil { // FIN, no close_notify
					return err
				}
				_, err := c.Read(make([]byte, 1))
				if err != io.EOF {
					return errors.Join(errors.New("wanted our close_notify"), err)
				}
				return nil
			})
			c, fc := dialFault(t, s.addr, clientConfig(t))
			_, err := c.Read(make([]byte, 1))
			requireTruncated(t, err, true, false)
			before := fc.writeCount()
			require.NoError(t, c.Close())
			require.Greater(t, fc.writeCount(), before)
			require.NoError(t, s.nextErr(t))
		})
		t.Run("write-fails", func(t *testing.T) {
			s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error { return c.NetConn().Close() })
			c, fc := dialFault(t, s.addr, clientConfig(t))
			_, err := c.Read(make([]byte, 1))
			requireTruncated(t, err, true, false)
			fc.failNext(0, syscall.EPIPE)
			require.NoError(t, c.Close())
		})
	})
}

// A Write that times out with records half-sent keeps what it sealed: once
// the server reads again, the next Write sends the rest first, and the
// server reads exactly what the Writes reported, intact (no bad_record_mac).
func TestWriteTimeoutThenResume(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		release := make(chan struct{})
		got := make(chan int64, 1)
		s := serveGo(t, versionConfig(t, v), func(c *tls.Conn) error {
			<-release
			n, err := io.Copy(io.Discard, c)
			got <- n
			return err
		})
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()
		c, err := dialGo(t, s, clientConfig(t))
		require.NoError(t, err)
		require.NoError(t, c.SetWriteDeadline(time.Now().Add(200*time.Millisecond)))
		n, err := c.Write(make([]byte, 32<<20)) // more than the socket buffers hold
		var ne net.Error
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "got %v", err)
		require.Positive(t, n)
		close(release)
		require.NoError(t, c.SetWriteDeadline(time.Time{}))
		m, err := c.Write([]byte("tail"))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.NoError(t, s.nextErr(t), "the server read to our close_notify")
		require.Equal(t, int64(n+m), <-got)
	})
}
