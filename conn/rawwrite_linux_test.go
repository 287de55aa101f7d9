package conn

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	s, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// TestRawWriter: small writes reach the peer through the raw path; a
// write deadline sends them through net.Conn (whose timeout error they
// then get); after the peer's RST the error is net.Conn's: a *net.OpError
// "write" around the errno.
func TestRawWriter(t *testing.T) {
	client, server := tcpPair(t)
	c := &Conn{conn: client}
	w, ok := transportWriter(c).(*rawWriter)
	require.True(t, ok, "a *net.TCPConn gets the raw path")

	n, err := w.Write([]byte("hello"))
	require.NoError(t, err)
	require.Equal(t, 5, n)
	got := make([]byte, 5)
	_, err = io.ReadFull(server, got)
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))

	// A passed write deadline: the net.Conn path, and its timeout.
	require.NoError(t, c.SetWriteDeadline(time.Unix(1, 0)))
	_, err = w.Write([]byte("late"))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, c.SetWriteDeadline(time.Time{}))

	// The peer resets: the errors are net.Conn's.
	require.NoError(t, server.SetLinger(0))
	require.NoError(t, server.Close())
	time.Sleep(50 * time.Millisecond)
	for range 10 {
		if _, err = w.Write([]byte("x")); err != nil {
			break
		}
	}
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "write", op.Op)
	require.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE), "got %v", err)

	// A closed transport: net.Conn's net.ErrClosed.
	require.NoError(t, client.Close())
	_, err = w.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
}
