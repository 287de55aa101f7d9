package record

import (
	"encoding/binary"
	"strconv"
)

// ContentType is the type of a record's content (RFC 8446, Section 5.1).
type ContentType uint8

const (
	ChangeCipherSpec ContentType = 20
	Alert            ContentType = 21
	Handshake        ContentType = 22
	ApplicationData  ContentType = 23
	Heartbeat        ContentType = 24 // RFC 6520; framed, never processed
)

func (t ContentType) String() string {
	switch t {
	case ChangeCipherSpec:
		return "change_cipher_spec"
	case Alert:
		return "alert"
	case Handshake:
		return "handshake"
	case ApplicationData:
		return "application_data"
	case Heartbeat:
		return "heartbeat"
	}
	return "content_type(" + strconv.Itoa(int(t)) + ")"
}

// Known reports whether t is a content type this layer frames.
func (t ContentType) Known() bool { return t >= ChangeCipherSpec && t <= Heartbeat }

// Protocol versions as they appear on the wire.
const (
	VersionTLS10 uint16 = 0x0301
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Record size limits.
const (
	// HeaderLen is the size of TLSPlaintext/TLSCiphertext's fixed header.
	HeaderLen = 5
	// MaxPlaintext: "The length (in bytes) of the following
	// TLSPlaintext.fragment. The length MUST NOT exceed 2^14 bytes"
	// (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1).
	MaxPlaintext = 1 << 14
	// MaxCiphertextTLS12: "The length MUST NOT exceed 2^14 + 2048"
	// (RFC 5246, Section 6.2.3).
	MaxCiphertextTLS12 = MaxPlaintext + 2048
	// MaxCiphertextTLS13: "The length MUST NOT exceed 2^14 + 256 bytes"
	// (RFC 8446, Section 5.2).
	MaxCiphertextTLS13 = MaxPlaintext + 256
	// MaxInnerPlaintextTLS13 bounds TLSInnerPlaintext, padding included:
	// "The length MUST NOT exceed 2^14 + 1 octets" (RFC 8446, Section 5.4
	// and the alert policy, package alert).
	MaxInnerPlaintextTLS13 = MaxPlaintext + 1
)

// Header is a record's 5-byte header.
type Header struct {
	Type ContentType
	// Version is legacy_record_version. TLS 1.3 never checks it: "MUST be
	// ignored for all purposes" (RFC 8446, Section 5.1); TLS 1.2 does once
	// the version is negotiated (Reader.RequireVersion).
	Version uint16
	Length  int
}

// ParseHeader decodes the first HeaderLen bytes of b, which must hold at
// least that many. It judges nothing; Reader applies the limits.
func ParseHeader(b []byte) Header {
	_ = b[HeaderLen-1]
	return Header{
		Type:    ContentType(b[0]),
		Version: binary.BigEndian.Uint16(b[1:3]),
		Length:  int(binary.BigEndian.Uint16(b[3:5])),
	}
}

// AppendTo appends the header's wire form to b. Length must fit in 16 bits.
func (h Header) AppendTo(b []byte) []byte {
	return append(b, byte(h.Type), byte(h.Version>>8), byte(h.Version), byte(h.Length>>8), byte(h.Length))
}

// Sealer protects outgoing records. An implementation holds one direction's
// keys and is not safe for concurrent use; the Writer owns the sequence
// number it passes.
type Sealer interface {
	// Seal appends to dst one whole record (header and protected fragment)
	// carrying payload as content type typ, protected under sequence number
	// seq. len(payload) must not exceed MaxPlaintext. It never allocates
	// when cap(dst)-len(dst) >= HeaderLen+len(payload)+Overhead().
	Seal(dst []byte, typ ContentType, seq uint64, payload []byte) []byte
	// Overhead is the most bytes Seal adds to a payload beyond the header
	// (explicit nonce, tag, TLS 1.3 content type and padding).
	Overhead() int
	// Protected reports whether the Sealer encrypts (false for Plaintext).
	Protected() bool
}

// InPlaceSealer is a Sealer that seals a payload where it already lies.
// When payload is dst[len(dst)+ContentOffset():][:n], the place Seal puts
// the record's content, Seal protects it there and copies nothing; that is
// the area Writer.Next hands out. Plaintext and the cipher package's
// protections implement it.
type InPlaceSealer interface {
	Sealer
	// ContentOffset is the distance from the start of the record Seal
	// appends to its content: HeaderLen, plus the explicit nonce of TLS 1.2
	// AES-GCM.
	ContentOffset() int
}

// Opener deprotects incoming records.
type Opener interface {
	// Open deprotects rec, a whole record with its header, under sequence
	// number seq, and returns the real content type (for TLS 1.3 the one
	// inside TLSInnerPlaintext) and the plaintext. If dst is nil the
	// plaintext is decrypted in place and aliases rec; otherwise it is
	// appended to dst, which must not overlap rec. Errors are
	// alert.BadRecordMAC (every deprotection failure, on one code path),
	// alert.RecordOverflow and alert.UnexpectedMessage.
	Open(dst []byte, seq uint64, rec []byte) (ContentType, []byte, error)
	// Overhead is the most bytes a protected fragment carries beyond its
	// plaintext content (so a dst with that much room never grows).
	Overhead() int
	// Protected reports whether the Opener decrypts (false for Plaintext).
	Protected() bool
	// MaxFragment is the largest record fragment the Opener accepts
	// (record_overflow beyond it).
	MaxFragment() int
}
