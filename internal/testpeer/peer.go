package testpeer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tlsrecord/tlsrecord/handshake"
)

// Config configures a Peer. The zero Config puts a transparent proxy in
// front of an in-process crypto/tls echo server.
type Config struct {
	// Scenario is how the server side misbehaves; the zero Scenario
	// forwards everything.
	Scenario Scenario

	// Server configures the in-process crypto/tls server; nil means
	// DefaultServerConfig(). The proxy reads the server's key log through
	// KeyLogWriter (a KeyLogWriter already set still gets every line).
	Server *tls.Config
	// Handler serves each connection of the in-process server once its
	// handshake is done; nil means Echo. It must return when the
	// connection is closed. Its error, like a failed server handshake, is
	// a KindServerError event.
	Handler func(*tls.Conn) error

	// External puts a real server behind the proxy instead of the
	// in-process one.
	External *External

	// Script replaces the server altogether (scripted mode): each
	// ClientHello is answered with the actions Script returns, written to
	// the client in plaintext. Nothing reaches any server.
	Script func(ch *handshake.ClientHello) []Action

	// KeyTimeout bounds each wait for a secret in the key log; 0 means
	// 10 seconds.
	KeyTimeout time.Duration
}

// External is a real server on another address: openssl s_server with
// -keylogfile, gnutls-serv with SSLKEYLOGFILE in its environment. The proxy
// reads the key log file as it grows.
type External struct {
	Addr       string
	KeyLogPath string
}

// Peer is a man-in-the-middle on 127.0.0.1 in front of a real TLS server.
// Point the client under test at Addr.
type Peer struct {
	cfg        Config
	keyTimeout time.Duration
	ln         net.Listener
	backend    string // what the proxy dials; "" in scripted mode
	srvLn      net.Listener
	srvCfg     *tls.Config
	keys       *keyStore
	tl         *timeline
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	sessions []*session
	srvConns map[net.Conn]struct{}
}

// DefaultServerConfig is the in-process server's default: the ECDSA and
// RSA test certificates (crypto/tls picks by what the client offers), TLS
// 1.2 and 1.3.
func DefaultServerConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{ECDSACertificate(), RSACertificate()},
		MinVersion:   tls.VersionTLS12,
	}
}

// Echo is the default Handler: it writes back what it reads until the
// client's close_notify, then returns (and the server closes with its own
// close_notify).
func Echo(c *tls.Conn) error {
	_, err := io.Copy(c, c)
	return err
}

// New starts a Peer. Close it when done.
func New(cfg Config) (*Peer, error) {
	p := &Peer{cfg: cfg, keyTimeout: cfg.KeyTimeout, tl: newTimeline(), srvConns: make(map[net.Conn]struct{})}
	if p.keyTimeout == 0 {
		p.keyTimeout = defaultWait
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if cfg.External != nil {
		p.keys = newKeyStore(cfg.External.KeyLogPath)
		p.backend = cfg.External.Addr
	} else {
		p.keys = newKeyStore("")
	}
	var err error
	if p.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	if cfg.External == nil && cfg.Script == nil {
		if err := p.startServer(); err != nil {
			p.ln.Close()
			return nil, err
		}
	}
	p.wg.Go(p.accept)
	return p, nil
}

// Start starts a Peer that closes when the test ends; on failure the test
// log gets the timeline.
func Start(t testing.TB, cfg Config) *Peer {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("testpeer timeline (%s):\n%s", p.Name(), Format(p.Timeline()))
		}
	})
	return p
}

// Addr is the proxy's address, for the client under test.
func (p *Peer) Addr() string { return p.ln.Addr().String() }

// Name is the scenario's name.
func (p *Peer) Name() string {
	if p.cfg.Scenario.Name == "" {
		return "PassThrough"
	}
	return p.cfg.Scenario.Name
}

// ClientConfig returns a crypto/tls client configuration that trusts the
// test certificates and logs its secrets to KeyLog.
func (p *Peer) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: Roots(), ServerName: ServerName, KeyLogWriter: p.KeyLog()}
}

// KeyLog is where the client under test may write its NSS key log (its
// KeyLogWriter). The proxy takes each secret from whichever side logs it
// first. A server's key log is enough with crypto/tls and gnutls-serv, and
// with openssl s_server for TLS 1.3; openssl logs the TLS 1.2 master secret
// only once it has the client's Finished, which the proxy must open before
// forwarding, so there the client's key log is needed.
func (p *Peer) KeyLog() io.Writer { return p.keys }

// Timeline returns every event so far, in order.
func (p *Peer) Timeline() []Event {
	events, _ := p.tl.snapshot()
	return events
}

// Events returns the events pred matches.
func (p *Peer) Events(pred func(Event) bool) []Event {
	var out []Event
	for _, e := range p.Timeline() {
		if pred(e) {
			out = append(out, e)
		}
	}
	return out
}

// WaitFor returns the first event, already recorded or yet to come, that
// pred matches, or an error when ctx ends first (after 10 seconds if ctx
// has no deadline).
func (p *Peer) WaitFor(ctx context.Context, pred func(Event) bool) (Event, error) {
	return p.tl.waitFor(ctx, pred)
}

// MustWaitFor is WaitFor with a 10-second deadline that fails the test,
// showing the timeline, when nothing matches.
func (p *Peer) MustWaitFor(t testing.TB, pred func(Event) bool) Event {
	t.Helper()
	e, err := p.WaitFor(context.Background(), pred)
	if err != nil {
		t.Fatalf("%v\n%s", err, Format(p.Timeline()))
	}
	return e
}

// Err returns the first KindFailed event's error: the proxy could not
// follow a connection.
func (p *Peer) Err() error {
	for _, e := range p.Timeline() {
		if e.Kind == KindFailed {
			return fmt.Errorf("testpeer: conn %d %v: %w", e.Conn, e.Dir, e.Err)
		}
	}
	return nil
}

// Inject runs acts in direction dir of the latest connection, now, as if
// a hook had answered a record with them (Forward and Hold have no record
// and do nothing).
func (p *Peer) Inject(dir Direction, acts ...Action) error {
	p.mu.Lock()
	var s *session
	if n := len(p.sessions); n > 0 {
		s = p.sessions[n-1]
	}
	p.mu.Unlock()
	if s == nil {
		return errors.New("testpeer: no connection to inject into")
	}
	s.apply(s.streams[dir], false, acts, nil)
	return nil
}

// Close stops accepting, closes every connection and waits for every
// goroutine the Peer started.
func (p *Peer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	sessions := p.sessions
	var srvConns []net.Conn
	for c := range p.srvConns {
		srvConns = append(srvConns, c)
	}
	p.mu.Unlock()

	p.cancel()
	p.ln.Close()
	if p.srvLn != nil {
		p.srvLn.Close()
	}
	for _, s := range sessions {
		s.closeAll()
	}
	for _, c := range srvConns {
		c.Close()
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(defaultWait):
		return errors.New("testpeer: goroutines still running 10s after Close")
	}
	return p.keys.close()
}

// accept starts a session for each client.
func (p *Peer) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.startSession(c)
	}
}

func (p *Peer) startSession(client net.Conn) {
	var server net.Conn
	if p.backend != "" {
		d := net.Dialer{Timeout: defaultWait}
		var err error
		if server, err = d.DialContext(p.ctx, "tcp", p.backend); err != nil {
			p.tl.add(Event{Kind: KindFailed, Err: fmt.Errorf("testpeer: dialing the server: %w", err)})
			client.Close()
			return
		}
	}
	hooks := p.cfg.Scenario.hooks()
	if p.cfg.Script != nil {
		hooks = scriptHooks(p.cfg.Script)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := newSession(p, len(p.sessions)+1, client, server, hooks)
	if p.closed {
		s.closeAll()
		return
	}
	p.sessions = append(p.sessions, s)
	p.wg.Go(s.run)
}

// scriptHooks answers each ClientHello with script's actions and drops
// everything else.
func scriptHooks(script func(*handshake.ClientHello) []Action) Hooks {
	return Hooks{ToServer: func(r Record) []Action {
		for _, m := range r.Messages {
			var ch handshake.ClientHello
			if m.Type() == handshake.TypeClientHello && ch.Unmarshal(m) == nil {
				return []Action{Back(script(&ch)...)}
			}
		}
		return []Action{Drop()}
	}}
}
