package handshake

import (
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

const (
	// msgHeaderLen is the handshake header: "HandshakeType msg_type;
	// uint24 length;" (RFC 8446, Section 4).
	msgHeaderLen = 4
	// maxMessageLen bounds every handshake message body but Certificate's,
	// as crypto/tls does (alert policy, package alert).
	maxMessageLen = 64 << 10
	// maxCertificateLen bounds a Certificate message body.
	maxCertificateLen = 256 << 10
	// retainLimit is the largest buffer an Assembler keeps once drained,
	// so one large Certificate does not pin 256 KiB for the connection's
	// lifetime.
	retainLimit = maxMessageLen
)

// MaxMessageLen returns the largest body a handshake message of type t may
// announce: 256 KiB for a Certificate, 64 KiB for any other type.
func MaxMessageLen(t MsgType) int {
	if t == TypeCertificate {
		return maxCertificateLen
	}
	return maxMessageLen
}

// Assembler reassembles handshake messages from the payloads of handshake
// records. "Handshake messages MAY be coalesced into a single TLSPlaintext
// record or fragmented across several records" (RFC 8446, Section 5.1), so
// a message may span records and a record may hold several messages.
//
// Each message header is checked as soon as its 4 bytes are known: a
// header announcing more than MaxMessageLen is refused with
// illegal_parameter before any of its body is buffered. The buffer holds
// the messages not yet returned by Next plus at most one partial message,
// so a caller that drains Next after each Write buffers at most one
// message. The zero value is ready to use; an Assembler is not safe for
// concurrent use.
type Assembler struct {
	buf []byte // buf[off:] is unread: whole messages, then a partial one
	off int
	// next is the offset in buf of the first message header not yet
	// checked; it lies beyond len(buf) while a body is arriving.
	next int
	err  error // sticky: the first error Write returned
}

// Write adds the payload of one handshake record. After an error every
// later Write returns the same error.
func (a *Assembler) Write(fragment []byte) error {
	if a.err != nil {
		return a.err
	}
	if len(fragment) == 0 {
		// "Implementations MUST NOT send zero-length fragments of Handshake
		// types" (RFC 8446, Section 5.1); unexpected_message as for an
		// empty TLSInnerPlaintext (Section 5.4).
		a.err = alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: zero-length handshake fragment"))
		return a.err
	}
	a.compact()
	next, err := a.scan(fragment)
	if err != nil {
		a.err = err
		return err
	}
	a.buf = append(a.buf, fragment...)
	a.next = next
	return nil
}

// scan checks every message header that the buffered bytes and fragment
// complete, from a.next on, without buffering anything, and returns where
// the next unchecked header starts.
func (a *Assembler) scan(fragment []byte) (int, error) {
	next, total := a.next, len(a.buf)+len(fragment)
	for next+msgHeaderLen <= total {
		var hdr [msgHeaderLen]byte
		k := 0
		if next < len(a.buf) {
			k = copy(hdr[:], a.buf[next:])
		}
		copy(hdr[k:], fragment[max(next-len(a.buf), 0):])
		s := cryptobyte.String(hdr[:])
		var typ uint8
		var n uint32
		if !s.ReadUint8(&typ) || !s.ReadUint24(&n) {
			panic("handshake: short header") // hdr has exactly msgHeaderLen bytes
		}
		if limit := MaxMessageLen(MsgType(typ)); int(n) > limit {
			return 0, alert.Wrap(alert.IllegalParameter,
				fmt.Errorf("tls: %v message of %d bytes exceeds the %d-byte limit", MsgType(typ), n, limit))
		}
		next += msgHeaderLen + int(n)
	}
	return next, nil
}

// compact moves the unread bytes to the front of the buffer.
func (a *Assembler) compact() {
	if a.off == 0 {
		return
	}
	n := copy(a.buf, a.buf[a.off:])
	a.buf = a.buf[:n]
	a.next -= a.off
	a.off = 0
}

// Next returns the next whole message, header included, and true, or
// false when none is complete. The message aliases the Assembler's buffer
// and is valid until the next call to Write or Next.
func (a *Assembler) Next() (msg []byte, ok bool) {
	unread := cryptobyte.String(a.buf[a.off:])
	s := unread
	var typ uint8
	var body cryptobyte.String
	if !s.ReadUint8(&typ) || !s.ReadUint24LengthPrefixed(&body) {
		return nil, false
	}
	end := a.off + len(unread) - len(s)
	msg = a.buf[a.off:end:end]
	a.off = end
	if a.off == len(a.buf) {
		// Drained: the next Write starts at the front again. msg keeps
		// the old array alive on its own.
		if cap(a.buf) > retainLimit {
			a.buf = nil
		} else {
			a.buf = a.buf[:0]
		}
		a.off, a.next = 0, 0
	}
	return msg, true
}

// Pending reports whether bytes are buffered: a partial message, or whole
// ones Next has not returned. A key change with Pending true is an
// unexpected_message: "Handshake messages MUST NOT span key changes"
// (RFC 8446, Section 5.1).
func (a *Assembler) Pending() bool {
	return a.off < len(a.buf)
}
