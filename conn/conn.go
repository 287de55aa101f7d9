package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Conn is a TLS client connection over a net.Conn. All methods are safe for
// concurrent use; Read and Write run concurrently without blocking each
// other.
type Conn struct {
	conn   net.Conn
	config *Config
	trace  *Trace

	handshakeMu   sync.Mutex // serializes handshakes; guards handshakeErr, hs
	handshakeErr  error
	handshakeDone atomic.Bool // set after hs is final
	hs            *handshake.State

	// The read side; inMu guards every field down to outMu.
	inMu         sync.Mutex
	rd           record.Reader
	asm          handshake.Assembler
	input        []byte // decrypted application data not yet returned
	readErr      error  // sticky: io.EOF after close_notify, truncation, ...
	warnings     int    // counters for the flood limits of the alert policy (package alert); reset on data
	keyUpdates   int
	tickets      int
	ccsSeen      int
	hellos       int           // TLS 1.2 HelloRequests since the last application data
	expectCCS    bool          // TLS 1.2: the handshake waits for the server's ChangeCipherSpec
	gotCCS       bool          // ... and it arrived
	serverSecret []byte        // current server application traffic secret
	opener       record.Opener // the read protection installed last

	// The write side; outMu guards every field down to stateMu.
	outMu         sync.Mutex
	wr            record.Writer
	clientSecret  []byte      // current client application traffic secret
	peerLimit     int         // the server's record_size_limit, clamped; 0 for none
	keyUpdateOwed atomic.Bool // set by the reader, paid by the writer
	// writeLimit is the write sequence number at which the installed keys
	// need the slow path's rekey (TLS 1.3) or AEAD-limit (TLS 1.2) check:
	// decided when keys are installed, math.MaxUint64 for none.
	writeLimit uint64

	// writeSlow is the one word Write's fast path reads: set with every
	// change of closed, sentClose, shuttingDown, terminal or owedAlert
	// below (never cleared), it sends every later Write down the path that
	// looks at them under stateMu.
	writeSlow atomic.Bool

	// Closure state; stateMu is never held across I/O.
	stateMu       sync.Mutex
	version       uint16 // negotiated version, once known
	sentClose     bool
	recvClose     bool
	sentFatal     bool
	terminal      *alert.Error // the fatal alert sent or received
	truncated     bool         // the transport ended without close_notify
	peerReset     bool         // ... with the peer's RST
	closed        bool         // Close or Shutdown was called
	readClosed    bool         // CloseRead was called
	shuttingDown  bool         // Shutdown was called: no more Writes
	discarded     atomic.Int64 // application data Shutdown discarded
	writeDeadline atomic.Int64 // UnixNano of the write deadline, 0 for none
	owedAlert     *alert.Alert // an alert the busy write side must send next
}

// noTrace is the Trace of every Conn whose Config has none: no hooks, never
// written.
var noTrace Trace

// Client returns a TLS client Conn over c. The handshake runs on the first
// Read or Write, or on Handshake.
func Client(c net.Conn, cfg *Config) *Conn {
	tc := &Conn{conn: c, config: cfg, trace: cfg.Trace}
	if tc.trace == nil {
		tc.trace = &noTrace
	}
	tc.rd = *record.NewReader(c) // held by value: one allocation for the Conn
	tc.wr = *record.NewWriter(transportWriter(tc))
	if tc.trace.RecordWritten != nil {
		wt := &wireTracer{c: tc}
		tc.wr = *record.NewWriter(wt)
		tc.wr.OnRecord = wt.sealed
	}
	// "legacy_record_version ... MAY be 0x0301 for the initial ClientHello
	// for compatibility purposes" (RFC 8446, Section 5.1), as every client
	// does for middleboxes.
	tc.wr.SetSealer(record.Plaintext{Version: record.VersionTLS10})
	return tc
}

// NetConn returns the underlying transport. Writing to it or reading from
// it corrupts the TLS stream.
func (c *Conn) NetConn() net.Conn { return c.conn }

func (c *Conn) LocalAddr() net.Addr  { return c.conn.LocalAddr() }
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// SetDeadline sets the read and write deadlines, as net.Conn documents. A
// timeout leaves the connection usable.
func (c *Conn) SetDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.conn.SetDeadline(t)
}

func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline. A Write whose deadline has
// passed returns (0, timeout) before sealing anything; one that times out
// part-way keeps its sealed records, which go out first next time.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.conn.SetWriteDeadline(t)
}

func (c *Conn) storeWriteDeadline(t time.Time) {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.writeDeadline.Store(ns)
}

func (c *Conn) writeDeadlinePassed() bool {
	ns := c.writeDeadline.Load()
	return ns != 0 && time.Now().UnixNano() >= ns
}

// Handshake runs the handshake if it has not run yet.
func (c *Conn) Handshake() error { return c.HandshakeContext(context.Background()) }

// HandshakeContext runs the handshake if it has not run yet. If ctx ends
// before it returns, the transport is closed and the error, this call's
// and every later one's, matches ctx.Err(), even when the handshake had
// just succeeded: the transport is gone.
func (c *Conn) HandshakeContext(ctx context.Context) error {
	if c.handshakeDone.Load() {
		return nil
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.handshakeErr != nil || c.handshakeDone.Load() {
		return c.handshakeErr
	}
	if ctx.Done() == nil {
		c.handshakeErr = c.handshake()
	} else {
		stop := context.AfterFunc(ctx, func() { c.conn.Close() })
		c.handshakeErr = c.handshake()
		if !stop() {
			// The AfterFunc ran or runs: whatever the handshake returned,
			// ctx's end closed the transport under it.
			c.handshakeErr = &contextError{err: ctx.Err()}
		}
	}
	if c.handshakeErr == nil {
		c.handshakeDone.Store(true)
	}
	return c.handshakeErr
}

func (c *Conn) handshake() error {
	hc, err := c.config.handshakeConfig()
	if err != nil {
		return err
	}
	if hc.MaxVersion >= record.VersionTLS13 {
		hc.Session = c.cachedSession()
	}
	if c.config.VerifyConnection != nil {
		hc.VerifyConnection = func(s *handshake.State) error {
			return c.config.VerifyConnection(tlsStateOf(s, false))
		}
	}
	c.inMu.Lock()
	defer c.inMu.Unlock()
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if n := c.config.MaxFragment; n != 0 {
		c.wr.SetMaxFragment(n) // handshakeConfig checked the range
	}
	st, err := handshake.Client(transport{c}, hc)
	c.settleSession(hc.Session, st, err)
	if err != nil {
		return c.abort(err, true)
	}
	c.hs = st
	c.rd.Release() // nothing buffered: a connection that only handshakes holds no read buffer
	c.serverSecret = st.ServerSecret
	c.clientSecret = st.ClientSecret
	return nil
}

// ConnectionState returns the connection's state as crypto/tls's own
// type, filled as crypto/tls fills it, so code written for a *tls.Conn
// (golang.org/x/net/http2, gRPC credentials) reads it unchanged.
//
// The returned value's ExportKeyingMaterial method cannot work outside
// crypto/tls: it relies on an unexported field, and calling it panics. Use
// (*Conn).ExportKeyingMaterial instead. State reports more than this.
func (c *Conn) ConnectionState() tls.ConnectionState {
	if !c.handshakeDone.Load() {
		return tls.ConnectionState{}
	}
	return tlsStateOf(c.hs, true)
}

// State returns the connection's state: what ConnectionState reports
// under crypto/tls's names, what crypto/tls has no field for, and how the
// connection ended so far.
func (c *Conn) State() State {
	var cs State
	if c.handshakeDone.Load() {
		cs = stateOf(c.hs, true)
	}
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	cs.CloseNotifySent = c.sentClose
	cs.CloseNotifyReceived = c.recvClose
	cs.Truncated = c.truncated
	cs.TerminalAlert = c.terminal
	cs.DiscardedBytes = c.discarded.Load()
	return cs
}

func stateOf(s *handshake.State, complete bool) State {
	cs := State{
		Version:            s.Version,
		HandshakeComplete:  complete,
		CurveID:            tls.CurveID(s.CurveID),
		NegotiatedProtocol: s.NegotiatedProtocol,
		ServerName:         s.ServerName,
		PeerCertificates:   s.PeerCertificates,
		VerifiedChains:     s.VerifiedChains,
		HelloRetryRequest:  s.HelloRetryRequest,
		DidResume:          s.DidResume,

		ExtendedMasterSecret: s.ExtendedMasterSecret,
		SecureRenegotiation:  s.SecureRenegotiation,
		PeerSignatureScheme:  tls.SignatureScheme(s.PeerSignatureScheme),
		PeerRecordSizeLimit:  int(s.PeerRecordSizeLimit),
	}
	if s.Suite != nil {
		cs.CipherSuite = s.Suite.ID
	}
	return cs
}

// tlsStateOf fills a tls.ConnectionState as crypto/tls's client does.
func tlsStateOf(s *handshake.State, complete bool) tls.ConnectionState {
	cs := tls.ConnectionState{
		Version:            s.Version,
		HandshakeComplete:  complete,
		CurveID:            tls.CurveID(s.CurveID),
		NegotiatedProtocol: s.NegotiatedProtocol,
		// Deprecated in crypto/tls and always true there.
		NegotiatedProtocolIsMutual:  true,
		ServerName:                  s.ServerName,
		PeerCertificates:            s.PeerCertificates,
		VerifiedChains:              s.VerifiedChains,
		SignedCertificateTimestamps: s.SignedCertificateTimestamps,
		OCSPResponse:                s.OCSPResponse,
		HelloRetryRequest:           s.HelloRetryRequest,
		DidResume:                   s.DidResume,
	}
	if s.Suite != nil {
		cs.CipherSuite = s.Suite.ID
	}
	// crypto/tls sets tls-unique once the Finished messages crossed, and
	// only for TLS 1.2 (RFC 5929 does not define it for TLS 1.3).
	if complete && s.Version == tls.VersionTLS12 {
		cs.TLSUnique = s.TLSUnique
	}
	return cs
}

// ExportKeyingMaterial returns length bytes of keying material: from the
// exporter master secret in TLS 1.3 (RFC 8446, Section 7.5), from the
// master secret with the PRF in TLS 1.2 (RFC 5705), where it fails unless
// the extended master secret was negotiated (RFC 7627, Section 5.4). In
// TLS 1.2 a nil context and an empty one give different outputs.
func (c *Conn) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	if !c.handshakeDone.Load() {
		return nil, errors.New("tls: ExportKeyingMaterial before the handshake completed")
	}
	return c.hs.ExportKeyingMaterial(label, context, length)
}

func (c *Conn) tls13() bool {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.version == record.VersionTLS13
}

// newKeys13 returns the protection for a TLS 1.3 traffic secret.
func (c *Conn) newKeys13(secret []byte) *cipher.AEAD13 {
	return cipher.NewTLS13(c.hs.Suite, secret)
}
