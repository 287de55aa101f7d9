package conn

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// maxWarnings bounds consecutive TLS 1.2 warning alerts (alert policy, package alert).
const maxWarnings = 4

// abort is the one place that turns a local failure into a fatal alert. It
// finds the alert the error carries (internal_error when none), stores the
// sticky error, writes the alert once, and returns the error for the
// caller. Nothing is written once our close_notify or any fatal alert was
// sent or received: "Upon transmission or receipt of a fatal alert message,
// both parties MUST immediately close the connection" (RFC 8446, Section 6)
// and closure means "MUST NOT allow any further data to be sent" (Section
// 6.1); nor after the peer's close_notify. Remote alerts and transport
// failures are stored, never answered.
// outHeld says whether the caller holds outMu; if it does not and a Write
// is in flight, the alert is owed and that Write sends it after its record.
func (c *Conn) abort(err error, outHeld bool) error {
	var ae *alert.Error
	if errors.As(err, &ae) && ae.Remote {
		return err // recorded by handleAlert
	}
	if isTransportErr(err) {
		return err
	}
	d, ok := alert.Of(err)
	if !ok {
		d = alert.InternalError
	}
	if !errors.As(err, &ae) || ae.Alert.Description != d {
		ae = &alert.Error{Alert: alert.Alert{Level: alert.Fatal, Description: d}, Err: err}
	}
	// After the peer's close_notify too: "Any data received after a
	// closure alert has been received MUST be ignored" (RFC 8446, Section
	// 6.1), and an alert would answer nothing the peer still reads (a close
	// during the handshake ends it with our error, unsent, as crypto/tls).
	c.stateMu.Lock()
	send := !c.sentClose && !c.sentFatal && c.terminal == nil && !c.recvClose
	if c.terminal == nil {
		c.terminal = ae
		c.writeSlow.Store(true)
	}
	c.sentFatal = c.sentFatal || send
	c.stateMu.Unlock()
	c.readErr = ae // callers of abort on the read side hold inMu or run the handshake
	if send {
		c.sendAlert(ae.Alert, outHeld)
	}
	return ae
}

// sendAlert writes a, finishing any half-written record first. A write
// error is dropped: the connection is over and the caller gets the cause.
func (c *Conn) sendAlert(a alert.Alert, outHeld bool) {
	if !outHeld {
		if !c.outMu.TryLock() {
			c.stateMu.Lock()
			c.owedAlert = &a
			c.writeSlow.Store(true)
			c.stateMu.Unlock()
			return
		}
		defer c.outMu.Unlock()
	}
	c.writeAlertLocked(a)
}

func (c *Conn) writeAlertLocked(a alert.Alert) error {
	var body [2]byte
	if _, err := c.wr.Write(record.Alert, a.AppendTo(body[:0])); err != nil {
		return err
	}
	if f := c.trace.AlertSent; f != nil {
		f(a)
	}
	return nil
}

// payOwedLocked sends an alert the read side could not, before any other
// record; it reports the sticky error if the connection is over.
func (c *Conn) payOwedLocked() error {
	c.stateMu.Lock()
	a := c.owedAlert
	c.owedAlert = nil
	terminal := c.terminal
	c.stateMu.Unlock()
	if a != nil {
		if a.Level == alert.Fatal {
			c.writeAlertLocked(*a) // abort already decided it may go out
		} else {
			c.writeNonFatalLocked(*a)
		}
	}
	if terminal != nil {
		return terminal
	}
	return nil
}

func isTransportErr(err error) bool {
	var ne net.Error
	var te *TruncatedError
	return errors.As(err, &ne) || errors.As(err, &te) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe)
}

// handleAlert decides what a received alert means; the caller holds inMu.
func (c *Conn) handleAlert(body []byte, handshaking bool) error {
	tls13 := c.tls13()
	a, err := alert.Parse(body, tls13)
	if err != nil {
		d, _ := alert.Of(err)
		return c.abort(alert.Wrap(d, fmt.Errorf("tls: malformed alert record of %d bytes", len(body))), handshaking)
	}
	if f := c.trace.AlertReceived; f != nil {
		f(a)
	}
	// TLS 1.2 knows two levels; "illegal_parameter" for any other
	// (alert policy, package alert). TLS 1.3 ignores the level byte (RFC 8446, Section 6).
	if !alert.ValidLevel(a.Level, tls13) {
		return c.abort(alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: alert with unknown level %d", a.Level)), handshaking)
	}
	switch {
	case a.Description == alert.CloseNotify:
		// "Any data received after a closure alert has been received MUST
		// be ignored" (RFC 8446, Section 6.1): reading ends here.
		c.stateMu.Lock()
		c.recvClose = true
		c.stateMu.Unlock()
		c.readErr = io.EOF
		if handshaking {
			return c.abort(alert.Wrap(alert.UnexpectedMessage, errors.New("tls: close_notify during the handshake")), handshaking)
		}
		c.answerCloseNotify()
		return io.EOF
	case !alert.IsFatal(a, tls13):
		// TLS 1.3 user_canceled ("This alert notifies the recipient that
		// the sender is canceling the handshake", Section 6.1) and TLS 1.2
		// warnings are reported, not fatal; floods are cut off.
		if c.warnings++; c.warnings > maxWarnings {
			return c.abort(alert.Wrap(alert.UnexpectedMessage, errors.New("tls: too many warning alerts")), handshaking)
		}
		return nil
	}
	// "Upon transmission or receipt of a fatal alert message, both parties
	// MUST immediately close the connection" (RFC 8446, Section 6); in TLS
	// 1.3 every alert but close_notify and user_canceled is one.
	ae := &alert.Error{Alert: a, Remote: true}
	c.stateMu.Lock()
	if c.terminal == nil {
		c.terminal = ae
		c.writeSlow.Store(true)
	}
	c.stateMu.Unlock()
	c.readErr = ae
	return ae
}
