package conn_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
)

// countingCache records the calls to a real LRU cache.
type countingCache struct {
	conn.ClientSessionCache
	mu         sync.Mutex
	puts, dels int
	getKeys    []string
}

func newCountingCache() *countingCache {
	return &countingCache{ClientSessionCache: conn.NewLRUClientSessionCache(8)}
}

func (c *countingCache) Get(key string) (*conn.ClientSessionState, bool) {
	c.mu.Lock()
	c.getKeys = append(c.getKeys, key)
	c.mu.Unlock()
	return c.ClientSessionCache.Get(key)
}

func (c *countingCache) Put(key string, s *conn.ClientSessionState) {
	c.mu.Lock()
	if s == nil {
		c.dels++
	} else {
		c.puts++
	}
	c.mu.Unlock()
	c.ClientSessionCache.Put(key, s)
}

func (c *countingCache) has(key string) bool {
	_, ok := c.ClientSessionCache.Get(key)
	return ok
}

// resumeGo connects to s and echoes one line, so that the tickets the
// server sent after the handshake are read and cached.
func resumeGo(t *testing.T, s *goServer, cfg *conn.Config) tls.ConnectionState {
	t.Helper()
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	roundTrip(t, c, "ticket please")
	cs := c.ConnectionState()
	require.NoError(t, c.Close())
	require.NoError(t, s.nextErr(t))
	return cs
}

// primed starts a crypto/tls server and runs a first connection whose
// ticket lands in a fresh counting cache that cfg uses.
func primed(t *testing.T) (*goServer, *countingCache, *conn.Config) {
	t.Helper()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	cache := newCountingCache()
	cfg := clientConfig(t)
	cfg.ClientSessionCache = cache
	resumeGo(t, s, cfg)
	return s, cache, cfg
}

func TestResumeGo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		curves []tls.CurveID
		hrr    bool
	}{
		{"1-RTT", nil, false},
		{"HelloRetryRequest", []tls.CurveID{tls.CurveP384}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scfg := serverConfig(t, "ecdsa")
			scfg.CurvePreferences = tc.curves
			var mu sync.Mutex
			var serverSaw []bool
			s := serveGo(t, scfg, func(c *tls.Conn) error {
				mu.Lock()
				serverSaw = append(serverSaw, c.ConnectionState().DidResume)
				mu.Unlock()
				return echo(c)
			})
			cache := newCountingCache()
			cfg := clientConfig(t)
			cfg.ClientSessionCache = cache
			var verified []bool
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				verified = append(verified, cs.DidResume)
				require.NotEmpty(t, cs.PeerCertificates)
				return nil
			}
			first := resumeGo(t, s, cfg)
			require.False(t, first.DidResume)
			require.True(t, cache.has(testHost), "the ticket is cached under the server name")

			second := resumeGo(t, s, cfg)
			require.True(t, second.DidResume)
			require.Equal(t, tc.hrr, second.HelloRetryRequest)
			require.Equal(t, first.PeerCertificates, second.PeerCertificates, "the original certificates are reported")
			require.Equal(t, first.VerifiedChains, second.VerifiedChains)
			require.Equal(t, []bool{false, true}, verified, "VerifyConnection runs on resumption too")

			// The server's new ticket lets the third connection resume as well.
			require.True(t, resumeGo(t, s, cfg).DidResume)
			require.Equal(t, []string{testHost, testHost, testHost}, cache.getKeys)
			mu.Lock()
			defer mu.Unlock()
			require.Equal(t, []bool{false, true, true}, serverSaw, "crypto/tls resumed too")
		})
	}
}

// A ticket is used once: the resumed connection removes it from the cache
// before any new ticket arrives, unless ReuseSessionTickets is set.
func TestResumeTicketUsedOnce(t *testing.T) {
	t.Parallel()
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprint("reuse=", reuse), func(t *testing.T) {
			t.Parallel()
			s, cache, cfg := primed(t)
			cfg.ReuseSessionTickets = reuse
			c, err := dialGo(t, s, cfg)
			require.NoError(t, err)
			require.True(t, c.ConnectionState().DidResume)
			require.Equal(t, reuse, cache.has(testHost))
			roundTrip(t, c, "new ticket")
			require.True(t, cache.has(testHost))
			require.NoError(t, c.Close())
			require.NoError(t, s.nextErr(t))
		})
	}
}

// Tickets that may not be offered give a full handshake, and the entry
// goes.
func TestResumeNotOffered(t *testing.T) {
	t.Parallel()
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		s, cache, cfg := primed(t)
		later := *cfg
		later.Time = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
		later.InsecureSkipVerify = true // the certificates have expired by then
		require.False(t, resumeGo(t, s, &later).DidResume)
		require.Equal(t, 1, cache.dels)
	})
	t.Run("another server name", func(t *testing.T) {
		t.Parallel()
		s, cache, cfg := primed(t)
		st, ok := cache.Get(testHost)
		require.True(t, ok)
		// A cache that answers any key with the ticket for testHost.
		other := *cfg
		other.ServerName = "other.example"
		other.InsecureSkipVerify = true
		other.ClientSessionCache = fixedCache{st}
		require.False(t, resumeGo(t, s, &other).DidResume)
	})
}

type fixedCache struct{ s *conn.ClientSessionState }

func (f fixedCache) Get(string) (*conn.ClientSessionState, bool) { return f.s, true }
func (f fixedCache) Put(string, *conn.ClientSessionState)        {}

// A server that cannot decrypt the ticket (another ticket key) declines the
// PSK: the handshake is a full one and succeeds.
func TestResumeServerDeclines(t *testing.T) {
	t.Parallel()
	_, cache, cfg := primed(t)
	other := serverConfig(t, "ecdsa")
	other.SetSessionTicketKeys([][32]byte{{42}})
	b := serveGo(t, other, echo)
	cs := resumeGo(t, b, cfg)
	require.False(t, cs.DidResume)
	require.NotEmpty(t, cs.PeerCertificates)
	require.True(t, cache.has(testHost), "b's own ticket")
}

// A resumed handshake that fails removes the entry: here the caller's
// VerifyConnection refuses the resumed connection (bad_certificate).
func TestResumeFailureRemovesEntry(t *testing.T) {
	t.Parallel()
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprint("reuse=", reuse), func(t *testing.T) {
			t.Parallel()
			s, cache, cfg := primed(t)
			errRefused := errors.New("refused on resumption")
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				if cs.DidResume {
					return errRefused
				}
				return nil
			}
			cfg.ReuseSessionTickets = reuse
			_, err := dialGo(t, s, cfg)
			require.ErrorIs(t, err, errRefused)
			require.ErrorIs(t, err, alert.BadCertificate)
			require.False(t, cache.has(testHost))
			require.Equal(t, 1, cache.dels, "removed once")
			require.Error(t, s.nextErr(t))
		})
	}
}

func TestLRUClientSessionCache(t *testing.T) {
	t.Parallel()
	_, src, _ := primed(t)
	st, ok := src.Get(testHost)
	require.True(t, ok)

	c := conn.NewLRUClientSessionCache(2)
	c.Put("a", st)
	c.Put("b", st)
	_, ok = c.Get("a") // a is now the most recent
	require.True(t, ok)
	c.Put("c", st) // evicts b
	_, ok = c.Get("b")
	require.False(t, ok)
	for _, k := range []string{"a", "c"} {
		_, ok = c.Get(k)
		require.True(t, ok, k)
	}
	c.Put("a", nil)
	_, ok = c.Get("a")
	require.False(t, ok)
	c.Put("never", nil) // removing a missing key is a no-op
	_, ok = c.Get("never")
	require.False(t, ok)
}

// TestClientSessionStatePrintsNoSecret checks every fmt verb against the
// ticket and the secrets the state carries: the key log of the original
// connection holds its secrets, none may show.
func TestClientSessionStatePrintsNoSecret(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	cache := newCountingCache()
	cfg := clientConfig(t)
	cfg.ClientSessionCache = cache
	var ticket []byte
	cfg.Trace = &conn.Trace{SessionTicket: func(nst *handshake.NewSessionTicket) { ticket = nst.Ticket }}
	var keyLog lockedBuffer
	cfg.KeyLogWriter = &keyLog
	resumeGo(t, s, cfg)
	st, ok := cache.Get(testHost)
	require.True(t, ok)
	require.NotEmpty(t, ticket)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(verb, st)
		require.Contains(t, out, testHost, verb)
		require.NotContains(t, out, fmt.Sprintf("%x", ticket[:8]), verb)
		require.NotContains(t, out, string(ticket[:8]), verb)
		for _, line := range keyLog.lines() {
			require.NotContains(t, out, line[len(line)-16:], verb)
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	start := 0
	for i, c := range b.buf {
		if c == '\n' {
			out = append(out, string(b.buf[start:i]))
			start = i + 1
		}
	}
	return out
}

var _ io.Writer = (*lockedBuffer)(nil)
