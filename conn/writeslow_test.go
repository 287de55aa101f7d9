package conn_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
)

// countingConn counts the bytes written to the transport.
type countingConn struct {
	net.Conn
	written atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// After each way the write side can end, a one-byte Write (the size that
// takes Write's fast path) fails with that way's error and puts nothing
// on the wire: every change of the closure state must reach the fast
// path.
func TestWriteAfterWriteSideEnded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		version uint16                // the server speaks TLS 1.3 unless this says 1.2
		peer    func(*tls.Conn) error // the server's side once the handshake is done
		end     func(*testing.T, *conn.Conn)
		want    error
	}{
		{"CloseWrite", tls.VersionTLS13, echo, func(t *testing.T, c *conn.Conn) {
			require.NoError(t, c.CloseWrite())
		}, conn.ErrWriteClosed},
		{"Close", tls.VersionTLS13, echo, func(t *testing.T, c *conn.Conn) {
			require.NoError(t, c.Close())
		}, net.ErrClosed},
		{"Shutdown", tls.VersionTLS13, echo, func(t *testing.T, c *conn.Conn) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, c.Shutdown(ctx))
		}, net.ErrClosed},
		{"SendAlert fatal", tls.VersionTLS13, echo, func(t *testing.T, c *conn.Conn) {
			require.NoError(t, c.SendAlert(alert.Fatal, alert.AccessDenied))
		}, alert.AccessDenied},
		{"our fatal alert after a protocol error", tls.VersionTLS13, func(s *tls.Conn) error {
			// A plaintext alert record after the keys changed: we answer
			// with a fatal unexpected_message (alert policy, package alert).
			_, err := s.NetConn().Write([]byte{21, 3, 3, 0, 2, 2, 40})
			return err
		}, func(t *testing.T, c *conn.Conn) {
			_, err := c.Read(make([]byte, 1))
			require.ErrorIs(t, err, alert.UnexpectedMessage)
		}, alert.UnexpectedMessage},
		{"peer's close_notify answered (TLS 1.2)", tls.VersionTLS12, func(s *tls.Conn) error {
			return s.CloseWrite()
		}, func(t *testing.T, c *conn.Conn) {
			_, err := c.Read(make([]byte, 1))
			require.ErrorIs(t, err, io.EOF) // our answering close_notify goes out with it
		}, conn.ErrWriteClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scfg := serverConfig(t, "ecdsa")
			if tc.version == tls.VersionTLS12 {
				scfg = serverConfig12(t, "ecdsa")
			}
			s := serveGo(t, scfg, tc.peer)
			raw, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
			require.NoError(t, err)
			require.NoError(t, raw.SetDeadline(time.Now().Add(10*time.Second)))
			cc := &countingConn{Conn: raw}
			c := conn.Client(cc, clientConfig(t))
			t.Cleanup(func() { c.Close() })
			require.NoError(t, c.Handshake())
			_, err = c.Write([]byte("x")) // the fast path works before
			require.NoError(t, err)

			tc.end(t, c)
			before := cc.written.Load()
			n, err := c.Write([]byte("y"))
			require.Zero(t, n)
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, before, cc.written.Load(), "nothing written after the write side ended")
		})
	}
}
