package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// client is our client on a wire it can hold writes on.
type client struct {
	*conn.Conn
	w *wire
}

// dial connects our client to addr on exactly version v.
func dial(t *testing.T, addr string, v uint16) client {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(dataWait)))
	w := &wire{TCPConn: raw.(*net.TCPConn)}
	cfg := clientConfig(v)
	ticket := make(chan struct{}, 1)
	cfg.Trace = &conn.Trace{SessionTicket: func(*handshake.NewSessionTicket) {
		select {
		case ticket <- struct{}{}:
		default:
		}
	}}
	c := client{conn.Client(w, cfg), w}
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Handshake())
	require.Equal(t, v, c.ConnectionState().Version)
	if v == tls.VersionTLS13 {
		c.settle(ticket)
	}
	return c
}

// settle lets a TLS 1.3 server finish its handshake before a probe:
// our Handshake returns once our Finished is written, and what a server
// does with records that arrive with it or after it depends on whether
// it read them already. A NewSessionTicket, sent after the server
// verified our Finished, proves it did; a server that sends none gets
// settleWait. Reads time out meanwhile, as no data is expected.
func (c client) settle(ticket <-chan struct{}) {
	deadline := time.Now().Add(settleWait)
	for time.Now().Before(deadline) {
		select {
		case <-ticket:
			c.SetReadDeadline(time.Time{})
			return
		default:
		}
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		c.Read(make([]byte, 1))
	}
	c.SetReadDeadline(time.Time{})
}

// wire is the client's transport. While held it collects writes, so that
// records written one after the other reach the server in one segment
// (what the server then does no longer depends on when its reads run), and
// it remembers whether the server's side ended with a reset.
type wire struct {
	*net.TCPConn
	mu   sync.Mutex
	held []byte
	hold bool
	rst  bool
}

func (w *wire) Read(p []byte) (int, error) {
	n, err := w.TCPConn.Read(p)
	if errors.Is(err, syscall.ECONNRESET) {
		w.mu.Lock()
		w.rst = true
		w.mu.Unlock()
	}
	return n, err
}

func (w *wire) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.hold {
		w.held = append(w.held, p...)
		w.mu.Unlock()
		return len(p), nil
	}
	w.mu.Unlock()
	return w.TCPConn.Write(p)
}

// together runs f holding its writes back, then sends them in one write.
func (w *wire) together(f func() error) error {
	w.mu.Lock()
	w.hold = true
	w.mu.Unlock()
	ferr := f()
	w.mu.Lock()
	held := w.held
	w.hold, w.held = false, nil
	w.mu.Unlock()
	_, err := w.TCPConn.Write(held)
	return errors.Join(ferr, err)
}

// end names how a read (or Shutdown) ended.
func (c client) end(err error) string {
	var te *conn.TruncatedError
	c.w.mu.Lock()
	rst := c.w.rst
	c.w.mu.Unlock()
	if errors.As(err, &te) && rst {
		return endRST
	}
	return endOf(err)
}

// clientConfig is our client's configuration for exactly version v.
func clientConfig(v uint16) *conn.Config {
	return &conn.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(), MinVersion: v, MaxVersion: v}
}

// readToEnd reads until the connection's read side ends or wait passes,
// and says how it ended.
func (c client) readToEnd(wait time.Duration) ([]byte, string) {
	c.SetReadDeadline(time.Now().Add(wait))
	data, err := io.ReadAll(c)
	return data, c.end(err)
}

// endOf names how a read (or Shutdown) ended.
func endOf(err error) string {
	var te *conn.TruncatedError
	var ae *alert.Error
	var ne net.Error
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return endCloseNotify
	case errors.As(err, &te) && te.AtRecordBoundary:
		return endFIN
	case errors.As(err, &te):
		return endMidRecord
	case errors.As(err, &ae) && ae.Remote:
		return "alert " + ae.Alert.Description.String()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return endOpen
	}
	return "error: " + err.Error()
}
