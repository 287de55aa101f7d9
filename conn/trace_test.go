package conn_test

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// stallConn passes writes through until stall is set; then its next Write
// sends only the first stallAt bytes and fails with a timeout, as a write
// whose deadline passed part-way.
type stallConn struct {
	net.Conn
	stall   atomic.Bool
	stallAt int
}

func (s *stallConn) Write(p []byte) (int, error) {
	if s.stall.Swap(false) {
		n, _ := s.Conn.Write(p[:min(s.stallAt, len(p))])
		return n, timeoutErr{}
	}
	return s.Conn.Write(p)
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "stall: i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// RecordWritten reports a record when the transport took all of it: of
// three records sealed by one Write whose transport write timed out inside
// the second, only the first is reported; the other two are reported when
// the next Write sends them, before its own record.
func TestRecordWrittenAfterTransportWrite(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), func(c *tls.Conn) error {
		_, err := io.Copy(io.Discard, c)
		return err
	})
	raw, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(20*time.Second)))
	sc := &stallConn{Conn: raw}
	var mu sync.Mutex
	var seqs []uint64
	cfg := clientConfig(t)
	cfg.Trace = &conn.Trace{RecordWritten: func(ri conn.RecordInfo) {
		if ri.Inner == record.ApplicationData {
			mu.Lock()
			seqs = append(seqs, ri.Seq)
			mu.Unlock()
		}
	}}
	c := conn.Client(sc, cfg)
	defer c.Close()
	require.NoError(t, c.Handshake())
	written := func() []uint64 {
		mu.Lock()
		defer mu.Unlock()
		return append([]uint64(nil), seqs...)
	}
	require.Empty(t, written())

	// A full record is 5 header bytes, 2^14 content bytes, 1 type byte and
	// a 16-byte tag; the transport takes the first and half the second.
	const full = record.HeaderLen + record.MaxPlaintext + 1 + 16
	sc.stallAt = full + full/2
	sc.stall.Store(true)
	n, err := c.Write(make([]byte, 3*record.MaxPlaintext))
	require.Equal(t, 3*record.MaxPlaintext, n, "all three records were sealed")
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
	require.Equal(t, []uint64{0}, written(), "only the record the transport took in full")

	_, err = c.Write([]byte("next"))
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 2, 3}, written(), "the pending records went out first")
}

// HandshakeMessage names every handshake message each way, in order, on
// both versions, and the post-handshake ones: the server's tickets and a
// KeyUpdate we send.
func TestTraceHandshakeMessages(t *testing.T) {
	t.Parallel()
	type msg struct {
		typ  handshake.MsgType
		sent bool
	}
	for _, tc := range []struct {
		cfg  *tls.Config
		want []msg
	}{
		{serverConfig(t, "ecdsa"), []msg{
			{handshake.TypeClientHello, true}, {handshake.TypeServerHello, false},
			{handshake.TypeEncryptedExtensions, false}, {handshake.TypeCertificate, false},
			{handshake.TypeCertificateVerify, false}, {handshake.TypeFinished, false},
			{handshake.TypeFinished, true}, {handshake.TypeNewSessionTicket, false},
			{handshake.TypeKeyUpdate, true},
		}},
		{serverConfig12(t, "ecdsa"), []msg{
			{handshake.TypeClientHello, true}, {handshake.TypeServerHello, false},
			{handshake.TypeCertificate, false}, {handshake.TypeServerKeyExchange, false},
			{handshake.TypeServerHelloDone, false}, {handshake.TypeClientKeyExchange, true},
			{handshake.TypeFinished, true}, {handshake.TypeFinished, false},
		}},
	} {
		s := serveGo(t, tc.cfg, echo)
		var mu sync.Mutex
		var got []msg
		cfg := clientConfig(t)
		cfg.Trace = &conn.Trace{HandshakeMessage: func(typ handshake.MsgType, sent bool) {
			mu.Lock()
			got = append(got, msg{typ, sent})
			mu.Unlock()
		}}
		c, err := dialGo(t, s, cfg)
		require.NoError(t, err)
		roundTrip(t, c, "ping") // the ticket arrives before the echo
		if c.State().Version == tls.VersionTLS13 {
			require.NoError(t, c.UpdateKeys(false))
		}
		mu.Lock()
		require.Equal(t, tc.want, got)
		mu.Unlock()
	}
}
