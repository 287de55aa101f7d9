package conn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Flood limits of the alert policy (package alert); each counter is reset by
// application data.
const (
	maxKeyUpdates = 32
	maxTickets    = 32
	maxCCS        = 32

	maxTicketLifetime = 7 * 24 * 3600 // seconds
)

// Read reads application data. It returns io.EOF only after the peer's
// close_notify; a transport EOF without it is a *TruncatedError.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.inMu.Lock()
	defer c.inMu.Unlock()
	for len(c.input) == 0 {
		if err := c.readableLocked(); err != nil {
			return 0, err
		}
		// A p large enough for the whole record receives the plaintext
		// directly: no copy.
		if err := c.readRecordLocked(false, p); err != nil {
			return 0, err
		}
	}
	n := len(c.input)
	if &c.input[0] != &p[0] {
		n = copy(p, c.input)
	}
	c.input = c.input[n:]
	if len(c.input) == 0 {
		c.input = nil
		c.rd.Release() // nothing buffered: an idle connection holds no buffer
	}
	return n, nil
}

// readableLocked reports why Read must not read, or nil.
func (c *Conn) readableLocked() error {
	c.stateMu.Lock()
	closed, readClosed, terminal := c.closed, c.readClosed, c.terminal
	c.stateMu.Unlock()
	switch {
	case closed:
		return net.ErrClosed
	case readClosed:
		return ErrReadClosed
	case c.readErr != nil:
		return c.readErr
	case terminal != nil:
		return terminal
	}
	return nil
}

// readRecordLocked reads one record and acts on it: application data lands
// in c.input, handshake bytes in the assembler (and, after the handshake,
// are processed), alerts go to handleAlert. Errors are sticky.
//
// A dst at least as long as the record's fragment receives the plaintext
// (c.input then aliases it); otherwise the record is opened in place.
func (c *Conn) readRecordLocked(handshaking bool, dst []byte) error {
	if c.readErr != nil {
		return c.readErr
	}
	// Whole post-handshake messages may wait in the assembler: a TLS 1.2
	// HelloRequest in the record of the server's Finished. They come before
	// any later record.
	if !handshaking && c.asm.Pending() {
		if err := c.handlePostHandshake(); err != nil {
			return err
		}
	}
	rec, err := c.rd.ReadRecordTo(dst)
	if err != nil {
		return c.readFailedLocked(err, handshaking)
	}
	if f := c.trace.RecordRead; f != nil {
		f(RecordInfo{Outer: rec.Header.Type, Inner: rec.Type, Length: rec.Header.Length, Seq: rec.Seq, Protected: rec.Protected})
	}
	// "Handshake messages MUST NOT be interleaved with other record types"
	// (RFC 8446, Section 5.1). TLS 1.2 allows it ("Data of different TLS
	// record layer content types MAY be interleaved", RFC 5246, Section
	// 6.2.1), but a change_cipher_spec there would straddle a key change
	// (alert policy, package alert), and application data during the
	// handshake is refused below.
	if rec.Type != record.Handshake && c.asm.Pending() && (rec.Type == record.ChangeCipherSpec || !c.tls12Rules()) {
		return c.abort(alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: %v record inside a fragmented handshake message", rec.Type)), handshaking)
	}
	switch rec.Type {
	case record.Alert:
		return c.handleAlert(rec.Payload, handshaking)
	case record.ChangeCipherSpec:
		return c.handleCCS(rec, handshaking)
	case record.Handshake:
		if err := c.asm.Write(rec.Payload); err != nil {
			return c.abort(err, handshaking)
		}
		if handshaking {
			return nil
		}
		return c.handlePostHandshake()
	case record.ApplicationData:
		if handshaking || !rec.Protected {
			return c.abort(alert.Wrap(alert.UnexpectedMessage, errors.New("tls: application data before the handshake completed")), handshaking)
		}
		if len(rec.Payload) > 0 {
			c.keyUpdates, c.tickets, c.warnings, c.hellos = 0, 0, 0, 0
		}
		c.input = rec.Payload
		return nil
	}
	return c.abort(alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: unexpected %v record", rec.Type)), handshaking)
}

// handleCCS applies RFC 8446, Section 5: "An implementation may receive an
// unencrypted record of type change_cipher_spec consisting of the single
// byte value 0x01 at any time after the first ClientHello message has been
// sent or received and before the peer's Finished message has been received
// and MUST simply drop it without further processing. ... An
// implementation which receives any other change_cipher_spec value or which
// receives a protected change_cipher_spec record MUST abort the handshake
// with an "unexpected_message" alert."
func (c *Conn) handleCCS(rec record.Record, handshaking bool) error {
	if c.tls12Rules() {
		return c.handleCCS12(rec, handshaking)
	}
	if !handshaking || rec.Protected || len(rec.Payload) != 1 || rec.Payload[0] != 1 {
		return c.abort(alert.Wrap(alert.UnexpectedMessage, errors.New("tls: unexpected change_cipher_spec")), handshaking)
	}
	if c.ccsSeen++; c.ccsSeen > maxCCS {
		return c.abort(alert.Wrap(alert.UnexpectedMessage, errors.New("tls: too many change_cipher_spec records")), handshaking)
	}
	return nil
}

// readFailedLocked classifies a record-layer error: alerts are ours to
// send, a transport EOF is a truncation (the peer's close_notify would
// have ended reading first), and anything else (timeouts) is returned
// as-is, leaving the connection usable.
func (c *Conn) readFailedLocked(err error, handshaking bool) error {
	var notTLS *record.NotTLSError
	if errors.As(err, &notTLS) {
		// crypto/tls's type and text, so code that matches
		// tls.RecordHeaderError (net/http does) keeps working.
		err = alert.Wrap(alert.UnexpectedMessage, tls.RecordHeaderError{
			Msg: "first record does not look like a TLS handshake", RecordHeader: notTLS.Header, Conn: c.conn,
		})
	}
	if _, ok := alert.Of(err); ok {
		return c.abort(err, handshaking)
	}
	if c.stopped() {
		return c.localStop(err)
	}
	atBoundary := errors.Is(err, io.EOF)
	if atBoundary || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errConnReset) {
		if f := c.trace.TransportEOF; f != nil {
			f(atBoundary)
		}
		c.stateMu.Lock()
		c.truncated = true
		c.peerReset = errors.Is(err, errConnReset)
		te := &TruncatedError{AtRecordBoundary: atBoundary, CloseNotifySent: c.sentClose}
		c.stateMu.Unlock()
		c.readErr = te
		return te
	}
	return c.localStop(err)
}

// localStop turns a transport error caused by our own Close or CloseRead
// into the error the caller should see.
func (c *Conn) localStop(err error) error {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	switch {
	case c.closed:
		return net.ErrClosed
	case c.readClosed:
		return ErrReadClosed
	}
	return err
}

// handlePostHandshake processes the handshake messages the server may send
// after the handshake: NewSessionTicket and KeyUpdate in TLS 1.3 (RFC 8446,
// Section 4.6), HelloRequest in TLS 1.2 (RFC 5246, Section 7.4.1.1).
func (c *Conn) handlePostHandshake() error {
	tls12 := c.hs.Version == record.VersionTLS12
	for {
		msg, ok := c.nextMessageLocked()
		if !ok {
			return nil
		}
		var err error
		switch typ := handshake.MsgType(msg[0]); {
		case tls12 && typ == handshake.TypeHelloRequest:
			err = c.handleHelloRequest(msg)
		case !tls12 && typ == handshake.TypeNewSessionTicket:
			err = c.handleTicket(msg)
		case !tls12 && typ == handshake.TypeKeyUpdate:
			err = c.handleKeyUpdate(msg)
		default:
			// We never send post_handshake_auth, so a CertificateRequest is
			// unexpected too (RFC 8446, Section 4.6.2); TLS 1.2 allows only
			// HelloRequest, as we offer no session ticket.
			err = alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: unexpected post-handshake %v", typ))
		}
		if err != nil {
			return c.abort(err, false)
		}
	}
}

func (c *Conn) handleTicket(msg []byte) error {
	if c.tickets++; c.tickets > maxTickets {
		return alert.Wrap(alert.UnexpectedMessage, errors.New("tls: too many NewSessionTicket messages"))
	}
	t := new(handshake.NewSessionTicket)
	if err := t.Unmarshal(msg); err != nil {
		return err
	}
	// "Servers MUST NOT use any value greater than 604800 seconds (7
	// days)" (RFC 8446, Section 4.6.1).
	if t.Lifetime > maxTicketLifetime {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: ticket lifetime of %d s exceeds 7 days", t.Lifetime))
	}
	if f := c.trace.SessionTicket; f != nil {
		f(t)
	}
	c.storeTicket(t)
	return nil
}

// handleKeyUpdate installs the server's next traffic secret and, when asked,
// owes the server our own KeyUpdate, paid before our next record by the
// write side: Read never waits for the write side (RFC 8446, Section 4.6.3).
func (c *Conn) handleKeyUpdate(msg []byte) error {
	if c.keyUpdates++; c.keyUpdates > maxKeyUpdates {
		return alert.Wrap(alert.UnexpectedMessage, errors.New("tls: too many KeyUpdate messages without application data"))
	}
	ku := new(handshake.KeyUpdate)
	if err := ku.Unmarshal(msg); err != nil {
		return err
	}
	// "Because the ServerHello, Finished, and KeyUpdate messages can
	// immediately precede a key change, implementations MUST send these
	// messages in alignment with a record boundary" (RFC 8446, Section 5.1).
	if c.asm.Pending() {
		return alert.Wrap(alert.UnexpectedMessage, errors.New("tls: KeyUpdate not at a record boundary"))
	}
	c.serverSecret = c.hs.Suite.NextTrafficSecret(c.serverSecret)
	c.installOpenerLocked(c.newKeys13(c.serverSecret))
	if ku.RequestUpdate == 1 {
		c.keyUpdateOwed.Store(true)
	}
	return nil
}

func (c *Conn) isClosed() bool {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.closed
}

// stopped reports whether we closed the connection or its read side.
func (c *Conn) stopped() bool {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.closed || c.readClosed
}
