package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// ErrReadClosed is returned by Read after CloseRead.
var ErrReadClosed = errors.New("tls: read side closed")

// CloseWrite sends close_notify: the half-close. Writes then fail with
// ErrWriteClosed, while Read goes on until the peer's close_notify ("Each
// party MUST send a "close_notify" alert before closing its write side of
// the connection", and TLS 1.3 lets the peer keep sending, RFC 8446,
// Section 6.1). A second call returns nil. Sealed bytes a timed-out Write
// left behind go out first. The transport itself stays open.
func (c *Conn) CloseWrite() error {
	if !c.handshakeDone.Load() {
		return errors.New("tls: CloseWrite before the handshake completed")
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	c.stateMu.Lock()
	sent, terminal, closed := c.sentClose, c.terminal, c.closed
	c.stateMu.Unlock()
	switch {
	case sent:
		return nil
	case terminal != nil:
		return terminal
	case closed:
		return net.ErrClosed
	}
	return c.closeNotifyLocked()
}

// CloseRead stops reading: Read returns ErrReadClosed at once and inbound
// records are no longer processed. The transport's read side is shut when
// it supports that (*net.TCPConn does). On Linux, shutdown(SHUT_RD) tells
// the peer nothing, and data that arrives afterwards makes the final
// close() send an RST instead of a FIN. With CloseWrite it is the
// unidirectional close RFC 8446, Section 6.1 allows: "It is not required
// for the initiator of the close to wait for the responding close_notify
// alert before closing the read side of the connection."
func (c *Conn) CloseRead() error {
	c.stateMu.Lock()
	c.readClosed = true
	c.stateMu.Unlock()
	if cr, ok := c.conn.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return nil
}

// Close ends the connection. If the handshake completed, no close_notify or
// fatal alert went out or came in, and no Write is in flight, it finishes
// any half-sent record and sends close_notify, bounded by the write
// deadline (there is no hidden one). If a Write is in flight, it closes the
// transport first, which unblocks that Write, and sends nothing. It then
// shuts the transport's write side, drains without blocking whatever
// already arrived (so the kernel sends a FIN, not an RST that could destroy
// our last data at the peer), and closes it. Read and Write in progress
// return net.ErrClosed. After the peer's RST it sends nothing: there is
// no one to tell. After a FIN without close_notify it still sends
// close_notify, which a peer that only half-closed reads. The first Close
// returns nil when the peer had already closed (cleanly, or as Read
// reported); later calls return net.ErrClosed.
func (c *Conn) Close() error {
	c.stateMu.Lock()
	if c.closed {
		c.stateMu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	c.writeSlow.Store(true)
	notify := c.handshakeDone.Load() && !c.sentClose && !c.sentFatal && c.terminal == nil && !c.peerReset
	// The truncation was Read's error; failing to tell a peer that is gone
	// adds nothing.
	peerClosed := c.recvClose || c.truncated
	c.stateMu.Unlock()

	var alertErr error
	if notify && c.outMu.TryLock() {
		alertErr = c.closeNotifyLocked()
		c.outMu.Unlock()
	}
	c.drainAndClose()
	if c.inMu.TryLock() {
		c.rd.Discard() // records still buffered (unread tickets) are never read now
		c.inMu.Unlock()
	}
	if alertErr != nil && !peerClosed {
		return fmt.Errorf("tls: sending close_notify: %w", alertErr)
	}
	return nil
}

// drainAndClose shuts the transport's write side, reads away what already
// arrived without waiting, and closes it. A TCP socket is asked first how
// many bytes wait (SIOCINQ): usually none, and then it reads nothing.
func (c *Conn) drainAndClose() {
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		if unread(c.conn) && c.conn.SetReadDeadline(time.Now()) == nil {
			buf := drainBufs.Get().(*[4096]byte)
			for i := 0; i < 64; i++ { // bounded: at most 256 KiB
				if _, err := c.conn.Read(buf[:]); err != nil {
					break
				}
			}
			drainBufs.Put(buf)
		}
	}
	c.conn.Close()
}

var drainBufs = sync.Pool{New: func() any { return new([4096]byte) }}

// Shutdown is the bidirectional close. It sends close_notify if not yet
// sent (waiting, within ctx, for a Write in flight; Writes started after
// Shutdown get ErrWriteClosed), then reads until the peer's close_notify,
// discarding and counting application data (State's
// DiscardedBytes, which includes data decrypted but unread), and closes the
// transport on every path.
//
// nil means both close_notify alerts crossed. Otherwise the error says what
// happened instead: a *TruncatedError (the transport ended without the
// peer's close_notify), the peer's fatal alert (*alert.Error with Remote),
// or ctx's end (errors.Is(err, context.DeadlineExceeded)). If sending
// failed but reading shows truncation, the truncation is returned and
// carries the write error.
//
// The transport is never reused after TLS: read-ahead may already hold the
// bytes that followed the peer's close_notify.
func (c *Conn) Shutdown(ctx context.Context) error {
	if err := c.HandshakeContext(ctx); err != nil {
		c.Close()
		return err
	}
	c.stateMu.Lock()
	c.shuttingDown = true
	c.writeSlow.Store(true)
	c.stateMu.Unlock()
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c.outMu.Lock()
	writeErr := c.closeNotifyLocked()
	c.outMu.Unlock()
	if errors.Is(writeErr, ErrWriteClosed) {
		writeErr = nil // sent before
	}

	readErr := c.readToCloseNotify()
	c.stateMu.Lock()
	c.closed = true
	c.writeSlow.Store(true)
	c.stateMu.Unlock()
	c.drainAndClose()

	var te *TruncatedError
	switch {
	case errors.Is(readErr, io.EOF) && writeErr == nil:
		return nil
	case errors.As(readErr, &te):
		// Say whether our close_notify made it out, whenever the
		// truncation was first seen.
		c.stateMu.Lock()
		te = &TruncatedError{AtRecordBoundary: te.AtRecordBoundary, CloseNotifySent: c.sentClose && writeErr == nil}
		c.stateMu.Unlock()
		if writeErr != nil {
			return errors.Join(te, writeErr)
		}
		return te
	case ctx.Err() != nil:
		return fmt.Errorf("tls: shutdown: %w", ctx.Err())
	case readErr != nil && !errors.Is(readErr, io.EOF):
		return readErr
	}
	return writeErr
}

// readToCloseNotify reads and discards until the peer's close_notify or an
// error, and returns io.EOF for the close_notify.
func (c *Conn) readToCloseNotify() error {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	for {
		c.discarded.Add(int64(len(c.input)))
		c.input = nil
		if c.readErr != nil {
			return c.readErr
		}
		if err := c.readRecordLocked(false, nil); err != nil {
			return err
		}
	}
}

// SendAlert writes an alert of the given level and description, as this
// library is also for probing peers, then applies the RFC to our own state:
// a fatal alert, or in TLS 1.3 any description but close_notify and
// user_canceled whatever the level (RFC 8446, Section 6), ends the
// connection, and later calls return the local *alert.Error; a TLS 1.2
// warning and a TLS 1.3 user_canceled leave it usable. close_notify is
// CloseWrite. After our close_notify or any fatal alert, SendAlert writes
// nothing and returns ErrWriteClosed or the connection's error.
//
// Before the handshake, the alert goes out in plaintext as the
// connection's first record (a probe's opening); a fatal one then ends the
// connection before any ClientHello, and Handshake returns its error.
func (c *Conn) SendAlert(level alert.Level, desc alert.Description) error {
	if desc == alert.CloseNotify {
		return c.CloseWrite()
	}
	if !c.handshakeDone.Load() {
		c.handshakeMu.Lock()
		defer c.handshakeMu.Unlock()
		if !c.handshakeDone.Load() {
			if c.handshakeErr != nil {
				return c.handshakeErr
			}
			err := c.writeUserAlert(level, desc)
			c.stateMu.Lock()
			if c.terminal != nil {
				c.handshakeErr = c.terminal
			}
			c.stateMu.Unlock()
			return err
		}
	}
	return c.writeUserAlert(level, desc)
}

// writeUserAlert writes SendAlert's alert under the current protection.
func (c *Conn) writeUserAlert(level alert.Level, desc alert.Description) error {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	a := alert.Alert{Level: level, Description: desc}
	fatal := alert.IsFatal(a, c.tls13())
	if fatal {
		c.stateMu.Lock()
		c.sentFatal = true
		c.terminal = &alert.Error{Alert: a, Err: fmt.Errorf("tls: %w alert sent by SendAlert", desc)}
		c.writeSlow.Store(true)
		c.stateMu.Unlock()
	}
	if err := c.writeAlertLocked(a); err != nil {
		return err
	}
	return nil
}

// UpdateKeys sends a TLS 1.3 KeyUpdate and switches to the next write keys
// (RFC 8446, Section 4.6.3); requestPeer asks the peer to update its own.
func (c *Conn) UpdateKeys(requestPeer bool) error {
	if !c.handshakeDone.Load() {
		return errors.New("tls: UpdateKeys before the handshake completed")
	}
	if c.hs.Version != record.VersionTLS13 {
		return errors.New("tls: KeyUpdate exists in TLS 1.3 only")
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	if err := c.wr.Flush(); err != nil {
		return c.writeFailedLocked(err)
	}
	return c.sendKeyUpdateLocked(requestPeer)
}

// closeNotifyLocked sends close_notify once: "Each party MUST send a
// "close_notify" alert before closing its write side of the connection"
// (RFC 8446, Section 6.1). What is still pending goes out first: sealed
// bytes a timed-out Write left, an alert the read side owes (a TLS 1.2
// no_renegotiation), and a KeyUpdate the peer asked for. After any fatal
// alert, or the peer's RST (no one is left to read it), it sends nothing.
func (c *Conn) closeNotifyLocked() error {
	c.stateMu.Lock()
	over := c.sentClose || c.sentFatal || c.terminal != nil || c.peerReset
	c.stateMu.Unlock()
	if over {
		return ErrWriteClosed
	}
	if err := c.payOwedLocked(); err != nil {
		return err
	}
	if c.keyUpdateOwed.Swap(false) {
		if err := c.sendKeyUpdateLocked(false); err != nil {
			return err
		}
	}
	// The owed alert may have been the answering TLS 1.2 close_notify, in
	// which case it was ours and writeNonFatalLocked sends no second one.
	err := c.writeNonFatalLocked(alert.Alert{Level: alert.Warning, Description: alert.CloseNotify})
	if errors.Is(err, ErrWriteClosed) && c.closeNotifySent() {
		return nil
	}
	return err
}
