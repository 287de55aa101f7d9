package conn

import (
	"errors"
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// The receive and send rules that exist in TLS 1.2 only: ChangeCipherSpec,
// HelloRequest, the answered close_notify and the end of a key's life.

// maxHelloRequests bounds HelloRequests without application data between
// them (alert policy, package alert).
const maxHelloRequests = 4

// errAEADLimit is returned by a TLS 1.2 Write that reached the key's usage
// limit; the connection was ended with close_notify.
var errAEADLimit = errors.New("tls: TLS 1.2 key usage limit reached (RFC 8446, Section 5.5, applied to TLS 1.2): close_notify sent")

// tls12Rules reports whether TLS 1.2's record rules apply: TLS 1.2 was
// negotiated, or, before the ServerHello, it is the only version offered.
func (c *Conn) tls12Rules() bool {
	switch c.negotiatedVersion() {
	case record.VersionTLS12:
		return true
	case 0:
		return c.config.MaxVersion != 0 && c.config.MaxVersion < record.VersionTLS13
	}
	return false
}

// negotiatedVersion returns the negotiated version, 0 before the ServerHello.
func (c *Conn) negotiatedVersion() uint16 {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.version
}

// handleCCS12 accepts a ChangeCipherSpec only where the TLS 1.2 handshake
// reads one: "It is essential that a change cipher spec message be
// received between the other handshake messages and the Finished message"
// (RFC 5246, Section 7.4.9). One that comes early, after the new keys,
// after the handshake, or with a body other than "a single byte of value
// 1" (Section 7.1) is an unexpected_message (alert policy, package alert).
func (c *Conn) handleCCS12(rec record.Record, handshaking bool) error {
	if !c.expectCCS || len(rec.Payload) != 1 || rec.Payload[0] != 1 {
		return c.abort(alert.Wrap(alert.UnexpectedMessage, errors.New("tls: unexpected change_cipher_spec")), handshaking)
	}
	c.expectCCS, c.gotCCS = false, true
	return nil
}

// dropHelloRequestsLocked discards the whole HelloRequests buffered while
// the handshake waits for the ChangeCipherSpec: "This message will be
// ignored by the client if the client is currently negotiating a session"
// (RFC 5246, Section 7.4.1.1). Any other whole message there is an
// unexpected_message. The caller holds inMu.
func (c *Conn) dropHelloRequestsLocked() error {
	for {
		msg, ok := c.nextMessageLocked()
		if !ok {
			return nil
		}
		if handshake.MsgType(msg[0]) != handshake.TypeHelloRequest {
			return c.abort(alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: expected change_cipher_spec, got %v", handshake.MsgType(msg[0]))), true)
		}
		if err := c.countHelloRequest(msg); err != nil {
			return c.abort(err, true)
		}
	}
}

// countHelloRequest checks a HelloRequest and counts it against the flood
// limit.
func (c *Conn) countHelloRequest(msg []byte) error {
	if err := new(handshake.HelloRequest).Unmarshal(msg); err != nil {
		return err
	}
	if c.hellos++; c.hellos > maxHelloRequests {
		return alert.Wrap(alert.UnexpectedMessage, errors.New("tls: too many HelloRequest messages"))
	}
	return nil
}

// errRenegotiation ends a TLS 1.2 connection whose server asked to
// renegotiate.
var errRenegotiation = errors.New("tls: server requested renegotiation (TLS 1.2 HelloRequest), which this client refuses")

// handleHelloRequest refuses renegotiation: the HelloRequest "MAY be
// ignored by the client if it does not wish to renegotiate a session, or
// the client may, if it wishes, respond with a no_renegotiation alert"
// (RFC 5246, Section 7.4.1.1), which "is always a warning" (Section
// 7.2.2). We answer, so the server knows at once, and end the connection
// with an error naming the request, as crypto/tls does (alert policy,
// package alert): a server that asks usually waits for a ClientHello, and
// a Read that went on would wait for its deadline. abort sends the warning
// once and nothing after it.
func (c *Conn) handleHelloRequest(msg []byte) error {
	if err := c.countHelloRequest(msg); err != nil {
		return err
	}
	return &alert.Error{Alert: alert.Alert{Level: alert.Warning, Description: alert.NoRenegotiation}, Err: errRenegotiation}
}

// answerCloseNotify applies RFC 5246, Section 7.2.1 to a close_notify
// received after a TLS 1.2 handshake: "The other party MUST respond with a
// close_notify alert of its own and close down the connection
// immediately, discarding any pending writes", unless the caller took
// that over with Config.DisableCloseNotifyReply. TLS 1.3 lets the peer's
// half-close stand (RFC 8446, Section 6.1).
func (c *Conn) answerCloseNotify() {
	if c.config.DisableCloseNotifyReply || c.negotiatedVersion() != record.VersionTLS12 {
		return
	}
	c.sendFromReadSide(alert.Alert{Level: alert.Warning, Description: alert.CloseNotify})
}

// sendFromReadSide sends a non-fatal alert the read side owes the peer
// (no_renegotiation, the answering close_notify) through the one alert
// writer, without waiting for the write side: when a Write holds outMu the
// alert is owed and that Write sends it after its current chunk; if the
// Write ends first, the next Write or Close does. Read never waits for the
// write side. An owed fatal alert is never replaced.
func (c *Conn) sendFromReadSide(a alert.Alert) {
	c.stateMu.Lock()
	if c.owedAlert == nil || c.owedAlert.Level != alert.Fatal {
		c.owedAlert = &a
		c.writeSlow.Store(true)
	}
	c.stateMu.Unlock()
	if c.outMu.TryLock() {
		c.payOwedLocked()
		c.outMu.Unlock()
	}
}

// writeNonFatalLocked writes a warning or close_notify unless our
// close_notify or a fatal alert already went out or came in (RFC 8446,
// Section 6.1; RFC 5246, Section 7.2.1), recording a close_notify as sent.
func (c *Conn) writeNonFatalLocked(a alert.Alert) error {
	c.stateMu.Lock()
	if c.sentClose || c.sentFatal || c.terminal != nil {
		c.stateMu.Unlock()
		return ErrWriteClosed
	}
	if a.Description == alert.CloseNotify {
		c.sentClose = true
		c.writeSlow.Store(true)
	}
	c.stateMu.Unlock()
	return c.writeAlertLocked(a)
}

// aeadLimitLocked ends a TLS 1.2 connection with close_notify before the
// write key would protect more records than the AEAD's usage limit allows
// (cipher.AEAD12.RekeyNeeded): TLS 1.2 has no KeyUpdate. n is the
// plaintext the Write is about to seal; its records and the close_notify
// after them must fit.
func (c *Conn) aeadLimitLocked(n int) error {
	if c.hs == nil || c.hs.Version != record.VersionTLS12 {
		return nil
	}
	s, ok := c.wr.Sealer().(interface{ RekeyNeeded(uint64) bool })
	records := uint64((n + record.MaxPlaintext - 1) / record.MaxPlaintext)
	if !ok || !s.RekeyNeeded(c.wr.Seq()+records) {
		return nil
	}
	if err := c.closeNotifyLocked(); err != nil && !errors.Is(err, ErrWriteClosed) {
		return c.writeFailedLocked(err)
	}
	return errAEADLimit
}
