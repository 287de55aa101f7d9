package conn

import (
	"net"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// writeChunk is how much plaintext one pass of Write seals and sends
// before it looks for an alert the read side owes the peer.
const writeChunk = 8 * record.MaxPlaintext

// Write writes application data. It returns the number of bytes whose
// records were sealed; sealed bytes a timeout left unsent go out first on
// the next Write or Close.
func (c *Conn) Write(p []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.fastWritableLocked(len(p)) {
		return c.writeFastLocked(p)
	}
	if err := c.writableLocked(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.writeDeadlinePassed() {
		return 0, timeoutError{}
	}
	n := 0
	for n < len(p) {
		// A KeyUpdate the peer asked for goes out "prior to sending its
		// next Application Data record" (RFC 8446, Section 4.6.3): also
		// between the chunks of a long Write.
		if err := c.payKeyUpdateLocked(); err != nil {
			return n, err
		}
		chunk := p[n:min(len(p), n+writeChunk)]
		if err := c.aeadLimitLocked(len(chunk)); err != nil {
			return n, err
		}
		m, err := c.wr.Write(record.ApplicationData, chunk)
		n += m
		if err != nil {
			return n, c.writeFailedLocked(err)
		}
		// An alert the read side owed goes out between chunks; after an
		// answering TLS 1.2 close_notify the rest is discarded: "close down
		// the connection immediately, discarding any pending writes"
		// (RFC 5246, Section 7.2.1).
		if err := c.payOwedLocked(); err != nil {
			return n, err
		}
		if n < len(p) && c.closeNotifySent() {
			return n, ErrWriteClosed
		}
	}
	return n, nil
}

// fastWritableLocked reports whether a Write of n bytes may take the fast
// path: one record, nothing owed or ending (writeSlow), no KeyUpdate owed,
// below the keys' usage limit, no deadline passed. Everything else goes
// the full way, which checks each condition under stateMu.
func (c *Conn) fastWritableLocked(n int) bool {
	return n > 0 && n <= c.wr.MaxFragment() && !c.writeSlow.Load() && !c.keyUpdateOwed.Load() &&
		c.wr.Seq() < c.writeLimit && !c.writeDeadlinePassed()
}

// writeFastLocked seals p as one record and sends it; if an alert became
// owed meanwhile, it follows the record, as on the full path.
func (c *Conn) writeFastLocked(p []byte) (int, error) {
	n, err := c.wr.Write(record.ApplicationData, p)
	if err != nil {
		return n, c.writeFailedLocked(err)
	}
	if c.writeSlow.Load() {
		if err := c.payOwedLocked(); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *Conn) closeNotifySent() bool {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.sentClose
}

// writableLocked reports why nothing may be written, or nil. It first
// sends any alert the read side owes the peer, so that it precedes our
// next record.
func (c *Conn) writableLocked() error {
	if c.isClosed() {
		return net.ErrClosed
	}
	if err := c.payOwedLocked(); err != nil {
		return err // the sticky error of a connection that is over
	}
	c.stateMu.Lock()
	sentClose := c.sentClose || c.shuttingDown
	c.stateMu.Unlock()
	if sentClose {
		return ErrWriteClosed
	}
	return nil
}

func (c *Conn) writeFailedLocked(err error) error {
	if _, ok := alert.Of(err); ok {
		return c.abort(err, true)
	}
	if c.isClosed() {
		return net.ErrClosed
	}
	return err
}

// payKeyUpdateLocked answers a KeyUpdate with update_requested: "the
// receiver MUST send a KeyUpdate of its own with request_update set to
// "update_not_requested" prior to sending its next Application Data
// record" (RFC 8446, Section 4.6.3). It also rekeys before the AEAD limit
// of RFC 8446, Section 5.5.
func (c *Conn) payKeyUpdateLocked() error {
	owed := c.keyUpdateOwed.Swap(false)
	if !owed && !c.rekeyNeededLocked() {
		return nil
	}
	return c.sendKeyUpdateLocked(false)
}

func (c *Conn) rekeyNeededLocked() bool {
	if c.hs == nil || c.hs.Version != record.VersionTLS13 {
		return false
	}
	// Look one chunk ahead: the check runs once per chunk, and the limit
	// must hold for every record in it.
	s, ok := c.wr.Sealer().(interface{ RekeyNeeded(uint64) bool })
	return ok && s.RekeyNeeded(c.wr.Seq()+recordsPerChunk)
}

// recordsPerChunk is how many records one writeChunk seals at most.
const recordsPerChunk = writeChunk / record.MaxPlaintext

func (c *Conn) sendKeyUpdateLocked(requestPeer bool) error {
	ku := &handshake.KeyUpdate{}
	if requestPeer {
		ku.RequestUpdate = 1
	}
	msg, err := ku.Marshal()
	c.traceMessage(msg, true) // nil on error: nothing traced
	if err != nil {
		return c.abort(err, true)
	}
	// Seal, switch keys, then send: "After sending a KeyUpdate message, the
	// sender SHALL send all its traffic using the next generation of keys"
	// (RFC 8446, Section 4.6.3). Once sealed, the KeyUpdate is as good as
	// sent: if the transport write times out it stays pending and goes out
	// first, and every later record, whenever it is written, is sealed
	// under the next keys.
	if _, err := c.wr.Seal(record.Handshake, msg); err != nil {
		return c.writeFailedLocked(err)
	}
	c.clientSecret = c.hs.Suite.NextTrafficSecret(c.clientSecret)
	c.installSealerLocked(c.newKeys13(c.clientSecret))
	if err := c.wr.Flush(); err != nil {
		return c.writeFailedLocked(err)
	}
	return nil
}
