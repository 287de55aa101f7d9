package record

import (
	"errors"

	"github.com/tlsrecord/tlsrecord/alert"
)

// Plaintext is the null protection in force before any keys exist: the
// TLSPlaintext records of the first flight (RFC 8446, Section 5.1; RFC 5246,
// Section 6.2.1). It implements both Sealer and Opener. The zero value
// writes legacy_record_version 0x0303; set Version to send another (0x0301
// is common for a first ClientHello). The version of incoming records is
// never checked.
type Plaintext struct {
	Version uint16
}

var (
	_ InPlaceSealer = Plaintext{}
	_ Opener        = Plaintext{}
)

// errShortRecord is a caller bug: Open was handed less than the whole record
// its header announces. Reader never does that.
var errShortRecord = alert.Wrap(alert.InternalError, errors.New("tls: record shorter than its header says"))

// Seal appends a TLSPlaintext record carrying payload as type typ. seq is
// unused: plaintext records carry no sequence number on the wire.
func (p Plaintext) Seal(dst []byte, typ ContentType, _ uint64, payload []byte) []byte {
	v := p.Version
	if v == 0 {
		v = VersionTLS12
	}
	dst = Header{Type: typ, Version: v, Length: len(payload)}.AppendTo(dst)
	if atEnd(dst, payload) {
		return dst[:len(dst)+len(payload)] // already in place (Writer.Next)
	}
	return append(dst, payload...)
}

// atEnd reports whether payload lies right after dst's end, inside its
// capacity.
func atEnd(dst, payload []byte) bool {
	return len(payload) > 0 && cap(dst)-len(dst) >= len(payload) &&
		&dst[:len(dst)+1][len(dst)] == &payload[0]
}

// ContentOffset is HeaderLen: the fragment follows the header.
func (Plaintext) ContentOffset() int { return HeaderLen }

// Open returns the header's content type and the fragment: rec's own bytes
// when dst is nil, else the fragment appended to dst.
func (p Plaintext) Open(dst []byte, _ uint64, rec []byte) (ContentType, []byte, error) {
	if len(rec) < HeaderLen {
		return 0, nil, errShortRecord
	}
	h := ParseHeader(rec)
	if h.Length != len(rec)-HeaderLen {
		return 0, nil, errShortRecord
	}
	// "The length MUST NOT exceed 2^14 bytes. An endpoint that receives a
	// record that exceeds this length MUST terminate the connection with a
	// "record_overflow" alert" (RFC 8446, Section 5.1). Reader refuses such a
	// header before buffering it; this covers direct callers.
	if h.Length > MaxPlaintext {
		return 0, nil, alert.RecordOverflow
	}
	frag := rec[HeaderLen:]
	if dst == nil {
		return h.Type, frag, nil
	}
	return h.Type, append(dst, frag...), nil
}

// Overhead is 0: a plaintext record adds nothing but its header.
func (Plaintext) Overhead() int { return 0 }

// Protected is false.
func (Plaintext) Protected() bool { return false }

// MaxFragment is MaxPlaintext.
func (Plaintext) MaxFragment() int { return MaxPlaintext }
