package conn

import (
	"container/list"
	"crypto/x509"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/handshake"
)

// ClientSessionState is a resumable TLS 1.3 session: one ticket from a
// NewSessionTicket with what RFC 8446, Section 4.6.1 requires to use it
// (the resumption secret and ticket nonce, the suite, the lifetime and
// age_add, when it was received) and what the original handshake
// established (ALPN, the server's certificates and verified chains). Its
// secrets are not exported, and String and every fmt verb print none of
// them.
type ClientSessionState struct {
	session *handshake.Session
}

// ServerName returns the server name the original connection verified.
func (s *ClientSessionState) ServerName() string { return s.session.ServerName() }

// ReceivedAt returns when the ticket arrived.
func (s *ClientSessionState) ReceivedAt() time.Time { return s.session.ReceivedAt() }

// Lifetime returns the ticket's lifetime (at most 7 days).
func (s *ClientSessionState) Lifetime() time.Duration { return s.session.Lifetime() }

// CipherSuite returns the suite of the original connection.
func (s *ClientSessionState) CipherSuite() uint16 { return s.session.Suite().ID }

// PeerCertificates returns the server's certificates from the original
// handshake; a resumed connection reports them too.
func (s *ClientSessionState) PeerCertificates() []*x509.Certificate {
	return s.session.PeerCertificates()
}

// String describes the session without its secrets.
func (s *ClientSessionState) String() string { return s.session.String() }

// Format prints String for every verb, %#v included.
func (s *ClientSessionState) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// ClientSessionCache stores sessions for resumption, with crypto/tls's
// shape. The key is Config.ServerName, or the server's address when it is
// empty. Put(key, nil) removes the entry. Implementations must be safe for
// concurrent use.
type ClientSessionCache interface {
	Get(sessionKey string) (session *ClientSessionState, ok bool)
	Put(sessionKey string, cs *ClientSessionState)
}

// lruSessionCache is a ClientSessionCache of at most capacity entries,
// evicting the least recently used.
type lruSessionCache struct {
	mu       sync.Mutex
	m        map[string]*list.Element
	q        *list.List // of *lruEntry, most recent first
	capacity int
}

type lruEntry struct {
	key   string
	state *ClientSessionState
}

// NewLRUClientSessionCache returns a ClientSessionCache of at most
// capacity sessions that evicts the least recently used; capacity < 1
// means 64, as in crypto/tls.
func NewLRUClientSessionCache(capacity int) ClientSessionCache {
	if capacity < 1 {
		capacity = 64
	}
	return &lruSessionCache{m: make(map[string]*list.Element), q: list.New(), capacity: capacity}
}

func (c *lruSessionCache) Put(key string, cs *ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		if cs == nil {
			c.q.Remove(e)
			delete(c.m, key)
			return
		}
		e.Value.(*lruEntry).state = cs
		c.q.MoveToFront(e)
		return
	}
	if cs == nil {
		return
	}
	if c.q.Len() >= c.capacity {
		oldest := c.q.Back()
		c.q.Remove(oldest)
		delete(c.m, oldest.Value.(*lruEntry).key)
	}
	c.m[key] = c.q.PushFront(&lruEntry{key: key, state: cs})
}

func (c *lruSessionCache) Get(key string) (*ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.q.MoveToFront(e)
		return e.Value.(*lruEntry).state, true
	}
	return nil, false
}

// sessionKey is the cache key of this connection: the server name, or the
// address when there is none, as in crypto/tls.
func (c *Conn) sessionKey() string {
	if c.config.ServerName != "" {
		return c.config.ServerName
	}
	return c.conn.RemoteAddr().String()
}

// cachedSession returns the session to offer, or nil. Unless
// Config.ReuseSessionTickets allows reuse, the entry leaves the cache at
// once, so that no other connection offers the same ticket: a ticket is
// used once, and the server's next tickets replace it.
func (c *Conn) cachedSession() *handshake.Session {
	cache := c.config.ClientSessionCache
	if cache == nil {
		return nil
	}
	key := c.sessionKey()
	cs, ok := cache.Get(key)
	if !ok || cs == nil {
		return nil
	}
	if !c.config.ReuseSessionTickets {
		cache.Put(key, nil)
	}
	return cs.session
}

// settleSession updates the cache once a handshake that took offered from
// it ends. A reusable entry goes when the handshake failed ("When a
// handshake that offered a ticket fails, the entry is removed") or the
// server declined it; a single-use one is already gone.
func (c *Conn) settleSession(offered *handshake.Session, st *handshake.State, err error) {
	if offered == nil || !c.config.ReuseSessionTickets {
		return
	}
	if err != nil || !st.DidResume {
		c.config.ClientSessionCache.Put(c.sessionKey(), nil)
	}
}

// storeTicket puts the session a NewSessionTicket makes resumable in the
// cache. "A ticket_lifetime of zero indicates that the ticket should be
// discarded immediately" (RFC 8446, Section 4.6.1).
func (c *Conn) storeTicket(t *handshake.NewSessionTicket) {
	cache := c.config.ClientSessionCache
	if cache == nil || t.Lifetime == 0 || len(c.hs.ResumptionSecret) == 0 {
		return
	}
	now := time.Now
	if c.config.Time != nil {
		now = c.config.Time
	}
	cache.Put(c.sessionKey(), &ClientSessionState{session: handshake.NewSession(c.hs, t, now())})
}
