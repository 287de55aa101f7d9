package conn

import (
	"math"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// recordSizeLimiter is the protection that applies a record_size_limit
// (RFC 8449): cipher.AEAD13 and cipher.AEAD12.
type recordSizeLimiter interface{ SetRecordSizeLimit(n int) }

// installSealerLocked installs write protection with the caller's padding
// policy and the server's record_size_limit; outMu is held.
func (c *Conn) installSealerLocked(s record.Sealer) {
	if a, ok := s.(*cipher.AEAD13); ok {
		if c.config.Padding != nil {
			a.SetPadding(c.config.Padding)
		}
		if c.peerLimit != 0 {
			// Padding stops at the limit too: "an endpoint MUST NOT generate a
			// protected record with plaintext that is larger than the
			// RecordSizeLimit value it receives from its peer" (RFC 8449,
			// Section 4).
			a.SetRecordSizeLimit(c.peerLimit)
		}
	}
	c.wr.SetSealer(s)
	c.writeLimit = writeLimitOf(s)
}

// writeLimitOf returns the first sequence number at which s, sealing up to
// a chunk of records more, reaches its AEAD usage limit: Write's fast path
// seals one record only below it.
func writeLimitOf(s record.Sealer) uint64 {
	r, ok := s.(interface{ RekeyNeeded(uint64) bool })
	if !ok {
		return math.MaxUint64
	}
	// RekeyNeeded is monotonic in the sequence number: search for its edge.
	lo, hi := uint64(0), uint64(math.MaxUint64)
	if !r.RekeyNeeded(hi) {
		return math.MaxUint64
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if r.RekeyNeeded(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - min(lo, recordsPerChunk+1)
}

// installOpenerLocked installs read protection, with our own
// record_size_limit once the server answered the extension; inMu is held.
// "Unprotected messages are not subject to this limit" (RFC 8449, Section
// 4): plaintext openers are left alone.
func (c *Conn) installOpenerLocked(o record.Opener) {
	c.opener = o
	c.limitOpenerLocked()
	c.rd.SetOpener(o)
}

// limitOpenerLocked applies our record_size_limit to the current opener
// once it is negotiated: the limit binds the server only "When the
// "record_size_limit" extension is negotiated" (RFC 8449, Section 4), and
// a server that ignores it (crypto/tls does) may send full records.
func (c *Conn) limitOpenerLocked() {
	if l, ok := c.opener.(recordSizeLimiter); ok && c.peerLimit != 0 && c.config.RecordSizeLimit != 0 {
		l.SetRecordSizeLimit(c.config.RecordSizeLimit)
	}
}

// SetPeerRecordSizeLimit applies the server's record_size_limit to the
// records we send from now on (handshake.RecordSizeLimiter): content of at
// most L-1 bytes in TLS 1.3, whose limit counts the content type, and of
// at most L in TLS 1.2, each within the protocol maximum ("Even if a larger
// record size limit is provided by a peer, an endpoint MUST NOT send
// records larger than the protocol-defined limit", RFC 8449, Section 4).
func (t transport) SetPeerRecordSizeLimit(limit int) {
	c := t.c
	if t.c.tls13() {
		c.peerLimit = min(limit, record.MaxInnerPlaintextTLS13)
		c.wr.SetMaxFragment(min(c.peerLimit-1, c.maxFragment()))
	} else {
		c.peerLimit = min(limit, record.MaxPlaintext)
		c.wr.SetMaxFragment(min(c.peerLimit, c.maxFragment()))
	}
	if l, ok := c.wr.Sealer().(recordSizeLimiter); ok {
		l.SetRecordSizeLimit(c.peerLimit)
	}
	// The server answered, so our limit now binds it, from the records
	// that follow its EncryptedExtensions (TLS 1.3) or ServerHello (TLS 1.2).
	c.limitOpenerLocked()
}

// maxFragment is Config.MaxFragment, or record.MaxPlaintext.
func (c *Conn) maxFragment() int {
	if c.config.MaxFragment != 0 {
		return c.config.MaxFragment
	}
	return record.MaxPlaintext
}
