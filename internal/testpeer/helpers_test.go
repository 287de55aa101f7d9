package testpeer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/record"
)

// testDeadline bounds every connection a test makes.
const testDeadline = 30 * time.Second

// backend is a real server the proxy fronts in the tests.
type backend struct {
	name string
	// start starts the server (with extra server arguments for the external
	// ones) and a Peer in front of it playing sc.
	start func(t *testing.T, sc Scenario, args ...string) *Peer
	// reply is what the server answers to a line, newline included.
	reply func(line []byte) []byte
}

var (
	inProcess = backend{
		name: "crypto-tls",
		start: func(t *testing.T, sc Scenario, _ ...string) *Peer {
			return Start(t, Config{Scenario: sc})
		},
		reply: bytes.Clone,
	}
	openSSL = backend{
		name: "openssl",
		start: func(t *testing.T, sc Scenario, args ...string) *Peer {
			srv := StartOpenSSL(t, append([]string{"-rev"}, args...)...)
			return Start(t, Config{Scenario: sc, External: &srv.External})
		},
		reply: reverseLine,
	}
	gnuTLS = backend{
		name: "gnutls",
		start: func(t *testing.T, sc Scenario, args ...string) *Peer {
			srv := StartGnuTLS(t, append([]string{"--echo"}, args...)...)
			return Start(t, Config{Scenario: sc, External: &srv.External})
		},
		reply: bytes.Clone,
	}
	allBackends = []backend{inProcess, openSSL, gnuTLS}
)

// reverseLine is openssl s_server -rev's answer: the line without its
// newline, reversed, then a newline.
func reverseLine(line []byte) []byte {
	out := slices.Clone(bytes.TrimRight(line, "\r\n"))
	slices.Reverse(out)
	return append(out, '\n')
}

var versions = []struct {
	name string
	v    uint16
}{{"TLS13", tls.VersionTLS13}, {"TLS12", tls.VersionTLS12}}

// dial connects a crypto/tls client through p at version v and completes
// the handshake.
func dial(t *testing.T, p *Peer, v uint16, edit ...func(*tls.Config)) *tls.Conn {
	t.Helper()
	c, err := dialErr(t, p, v, edit...)
	require.NoError(t, err)
	return c
}

// dialErr is dial for handshakes that may fail.
func dialErr(t *testing.T, p *Peer, v uint16, edit ...func(*tls.Config)) (*tls.Conn, error) {
	t.Helper()
	cfg := p.ClientConfig()
	cfg.MinVersion, cfg.MaxVersion = v, v
	for _, f := range edit {
		f(cfg)
	}
	c := tls.Client(dialRaw(t, p), cfg)
	return c, c.Handshake()
}

// dialRaw opens a TCP connection to p, closed at the test's end, with the
// test deadline.
func dialRaw(t *testing.T, p *Peer) net.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", p.Addr(), testDeadline)
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	require.NoError(t, raw.SetDeadline(time.Now().Add(testDeadline)))
	return raw
}

// exchange sends line (newline-terminated) and checks the server's reply.
func exchange(t *testing.T, c *tls.Conn, b backend, line string) {
	t.Helper()
	_, err := c.Write([]byte(line))
	require.NoError(t, err)
	want := b.reply([]byte(line))
	got := make([]byte, len(want))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// lines returns n bytes of random printable lines of 1 KiB, so that both
// echo and reversing servers answer with exactly n bytes.
func lines(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		if i%1024 == 1023 {
			b[i] = '\n'
		} else {
			b[i] = byte('!' + r.IntN('~'-'!'+1))
		}
	}
	return b
}

// flow sends n bytes while reading the server's n-byte answer, and checks
// the answer.
func flow(t *testing.T, c *tls.Conn, b backend, n int) {
	t.Helper()
	data := lines(n, uint64(n))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	var want bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		want.Write(b.reply(append(sc.Bytes(), '\n')))
	}
	got := make([]byte, want.Len())
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.NoError(t, <-errc)
	require.True(t, bytes.Equal(want.Bytes(), got), "the %d bytes that came back differ", n)
}

// closeCleanly sends close_notify, reads to the server's (io.EOF), and
// closes: a deterministic end for the timeline.
func closeCleanly(t *testing.T, c *tls.Conn) {
	t.Helper()
	require.NoError(t, c.CloseWrite())
	_, err := io.Copy(io.Discard, c)
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

// requireTransparent checks that p delivered in each direction exactly
// the records it was sent (types and lengths), once both ends are done.
func requireTransparent(t *testing.T, p *Peer) {
	t.Helper()
	p.MustWaitFor(t, TransportEOF(ClientToServer))
	p.MustWaitFor(t, TransportEOF(ServerToClient))
	require.NoError(t, p.Err())
	for _, dir := range []Direction{ClientToServer, ServerToClient} {
		sent := p.Events(OfKind(dir, KindSent))
		delivered := p.Events(OfKind(dir, KindDelivered))
		require.Equal(t, shape(sent), shape(delivered), "%v", dir)
	}
}

type recordShape struct {
	typ       record.ContentType
	length    int
	protected bool
}

func shape(events []Event) []recordShape {
	var out []recordShape
	for _, e := range events {
		out = append(out, recordShape{e.Inner, e.Length, e.Protected})
	}
	return out
}

// appBytes sums the application data content of events.
func appBytes(events []Event) int {
	n := 0
	for _, e := range events {
		if e.Inner == record.ApplicationData {
			n += e.Length
		}
	}
	return n
}

// readErr reads until an error and returns it.
func readErr(c *tls.Conn) error {
	_, err := io.Copy(io.Discard, c)
	if err == nil {
		return io.EOF
	}
	return err
}

// waitCtx is a context for waits on the timeline within a test.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancel)
	return ctx
}
