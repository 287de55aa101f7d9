package conn_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/record"
)

// TestSteadyStateAllocs pins zero allocations for Write and Read of
// application data once buffers are warm (TLS 1.3; TLS 1.2's Write has
// TestTLS12WriteAllocs), plain and shaped: padding, 256-byte fragments,
// a record_size_limit and a session cache (the tickets arrive while the
// buffers warm). The server is crypto/tls, whose steady-state Write
// allocates nothing either, so any allocation is ours.
func TestSteadyStateAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("AllocsPerRun runs many records")
	}
	shaped := clientConfig(t)
	shaped.Padding = func(_ record.ContentType, n int) int { return (256 - (n+1)%256) % 256 }
	shaped.MaxFragment = 256
	shaped.RecordSizeLimit = 4096
	shaped.ClientSessionCache = conn.NewLRUClientSessionCache(1)
	for name, cfg := range map[string]*conn.Config{"plain": clientConfig(t), "shaped": shaped} {
		t.Run(name, func(t *testing.T) { requireSteadyStateAllocs(t, cfg) })
	}
}

func requireSteadyStateAllocs(t *testing.T, cfg *conn.Config) {
	// The server writes 100 KiB, which the kernel's buffers hold, and then
	// only discards: nothing but our client runs while allocations count.
	const chunks = 100
	chunk := bytes.Repeat([]byte("s"), 1024)
	wrote := make(chan struct{})
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		for range chunks {
			if _, err := c.Write(chunk); err != nil {
				return err
			}
		}
		close(wrote)
		_, err := io.Copy(io.Discard, c.NetConn()) // our records, unopened
		return err
	})
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	buf := make([]byte, 1024)
	msg := make([]byte, 1024)
	for range 10 { // warm the buffers, see the tickets
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
		_, err = c.Write(msg)
		require.NoError(t, err)
	}
	<-wrote
	require.Zero(t, testing.AllocsPerRun(chunks-20, func() {
		if _, err := io.ReadFull(c, buf); err != nil {
			panic(err)
		}
	}), "Read")
	require.Zero(t, testing.AllocsPerRun(200, func() {
		if _, err := c.Write(msg); err != nil {
			panic(err)
		}
	}), "Write")
}
