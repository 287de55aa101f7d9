package conn_test

import (
	"crypto/tls"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteAllocsBySize pins zero allocations per Write for the sizes of
// the end-to-end benchmark (go run ./bench): 64 B and 1 KiB take the
// one-record fast path, 16 KiB and 1 MiB borrow a pooled buffer.
func TestWriteAllocsBySize(t *testing.T) {
	if testing.Short() {
		t.Skip("AllocsPerRun writes many records")
	}
	// The server discards our records unopened: crypto/tls's reading of
	// large records allocates, and it runs in this process.
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		if err := c.Handshake(); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, c.NetConn())
		return err
	})
	c, err := dialGo(t, s, clientConfig(t))
	require.NoError(t, err)
	for _, size := range []int{64, 1 << 10, 16 << 10, 1 << 20} {
		msg := make([]byte, size)
		_, err := c.Write(msg) // warm up
		require.NoError(t, err)
		require.Zero(t, testing.AllocsPerRun(50, func() {
			if _, err := c.Write(msg); err != nil {
				panic(err)
			}
		}), "Write of %d bytes", size)
	}
}
