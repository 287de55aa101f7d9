package cipher

import (
	stdcipher "crypto/cipher"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// AEAD13 is one direction's TLS 1.3 record protection (RFC 8446, Sections
// 5.2-5.4). It implements both record.Sealer and record.Opener; use one value
// per direction. It is not safe for concurrent use.
type AEAD13 struct {
	aead  stdcipher.AEAD
	suite *Suite
	pad   func(typ record.ContentType, length int) int
	// limit caps the TLSInnerPlaintext, content type and padding included:
	// record.MaxInnerPlaintextTLS13 by default, a record_size_limit (RFC
	// 8449) when one is set.
	limit int
	// nonce lives in the struct, not on the stack: a stack array passed to
	// the AEAD interface would escape and allocate on every record.
	nonce xorNonce
}

// NewTLS13 returns the protection keyed by trafficSecret, one of the
// handshake or application traffic secrets of RFC 8446, Section 7.1, with
// the key and IV of Section 7.3. It panics when s is not a TLS 1.3 suite.
func NewTLS13(s *Suite, trafficSecret []byte) *AEAD13 {
	if s.Version != record.VersionTLS13 {
		panic("cipher: NewTLS13 with TLS 1.2 suite " + s.Name)
	}
	key, iv := s.TrafficKey(trafficSecret)
	return newAEAD13(s, key, iv)
}

func newAEAD13(s *Suite, key, iv []byte) *AEAD13 {
	return &AEAD13{aead: s.newAEAD(key), suite: s, nonce: newXORNonce(iv), limit: record.MaxInnerPlaintextTLS13}
}

// SetRecordSizeLimit applies a record_size_limit (RFC 8449) of n bytes,
// clamped to [64, record.MaxInnerPlaintextTLS13]: "The value includes the
// content type and padding added in TLS 1.3 (that is, the complete length
// of TLSInnerPlaintext)" (RFC 8449, Section 4). An Opener fails with record_overflow on a larger
// TLSInnerPlaintext; a Sealer pads no further than n (the caller keeps its
// content within n-1 bytes, as record.Writer.SetMaxFragment does).
func (a *AEAD13) SetRecordSizeLimit(n int) {
	a.limit = min(max(n, 64), record.MaxInnerPlaintextTLS13)
}

// SetPadding installs the padding policy: p returns how many zero bytes to
// append to the TLSInnerPlaintext of a record carrying length bytes of
// content type typ. The result is clamped to [0, room], room being what keeps
// the TLSInnerPlaintext within record.MaxInnerPlaintextTLS13: "the full
// encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets" (RFC 8446,
// Section 5.4). nil removes the policy.
func (a *AEAD13) SetPadding(p func(typ record.ContentType, length int) int) { a.pad = p }

// Suite returns the cipher suite a protects with.
func (a *AEAD13) Suite() *Suite { return a.suite }

// Protected reports true: records are encrypted.
func (a *AEAD13) Protected() bool { return true }

// MaxFragment is the TLSCiphertext limit: "The length MUST NOT exceed
// 2^14 + 256 bytes" (RFC 8446, Section 5.2).
func (a *AEAD13) MaxFragment() int { return record.MaxCiphertextTLS13 }

// Overhead is the most bytes Seal adds to a payload beyond the header: the
// content type byte and the tag, plus, with a padding policy, up to
// record.MaxPlaintext bytes of padding. Open writes at most
// len(fragment)-16 bytes (the whole TLSInnerPlaintext) into a non-nil dst
// before trimming it; with that much room dst never grows.
func (a *AEAD13) Overhead() int {
	if a.pad != nil {
		return 1 + tagLen + record.MaxPlaintext
	}
	return 1 + tagLen
}

// ContentOffset is record.HeaderLen: the encrypted TLSInnerPlaintext
// follows the header.
func (a *AEAD13) ContentOffset() int { return record.HeaderLen }

// RekeyNeeded reports whether seq, the next sequence number, is the last the
// key may protect (RFC 8446, Section 5.5): that record should be the
// KeyUpdate that retires the key. AES-GCM allows floor(2^24.5) records,
// ChaCha20-Poly1305 all 2^64 sequence numbers.
func (a *AEAD13) RekeyNeeded(seq uint64) bool { return seq >= a.suite.rekeyAt() }

// padding returns the policy's padding for a payload of n bytes, clamped.
func (a *AEAD13) padding(typ record.ContentType, n int) int {
	p := a.pad(typ, n)
	room := a.limit - n - 1
	if p > room {
		p = room
	}
	return max(p, 0)
}

// Seal appends a TLSCiphertext carrying payload as content type typ under
// sequence number seq (RFC 8446, Section 5.2):
//
//	struct {
//	    ContentType opaque_type = application_data; /* 23 */
//	    ProtocolVersion legacy_record_version = 0x0303; /* TLS v1.2 */
//	    uint16 length;
//	    opaque encrypted_record[TLSCiphertext.length];
//	} TLSCiphertext;
//
// encrypting TLSInnerPlaintext = content || type || zeros, with the header
// as additional data. The AEAD needs content and type contiguous, so the
// payload is copied into dst and sealed in place; when payload already sits
// at dst[len(dst)+record.HeaderLen:] (a caller that builds its plaintext in
// the record buffer, as record.Writer.Next has it) the copy is skipped. The
// payload may overlap dst in any other way too. Seal panics when len(payload) > record.MaxPlaintext.
func (a *AEAD13) Seal(dst []byte, typ record.ContentType, seq uint64, payload []byte) []byte {
	n := len(payload)
	if n > record.MaxPlaintext {
		panic("cipher: payload exceeds record.MaxPlaintext")
	}
	innerLen := n + 1
	if a.pad != nil {
		innerLen += a.padding(typ, n)
	}
	whole, out := grow(dst, record.HeaderLen+innerLen+tagLen)
	inner := out[record.HeaderLen : record.HeaderLen+innerLen]
	// Copy (memmove, so overlap is fine) before writing the header, which
	// may sit where an overlapping payload starts.
	if !samePlace(inner, payload) {
		copy(inner, payload)
	}
	putHeader(out, record.ApplicationData, record.VersionTLS12, innerLen+tagLen)
	inner[n] = byte(typ)
	if innerLen > n+1 {
		clear(inner[n+1:]) // "zeros[length_of_padding]" (RFC 8446, Section 5.2)
	}
	// "additional_data = TLSCiphertext.opaque_type ||
	// TLSCiphertext.legacy_record_version || TLSCiphertext.length"
	// (RFC 8446, Section 5.2).
	a.aead.Seal(inner[:0], a.nonce.set(seq), inner, out[:record.HeaderLen])
	return whole
}

// Open deprotects rec, a whole TLSCiphertext, under sequence number seq and
// returns the real content type from TLSInnerPlaintext and the content with
// the type and padding removed. With a nil dst the content is decrypted in
// place and aliases rec; otherwise it is appended to dst (returned as dst
// followed by the content, like stdcipher.AEAD.Open), which must not overlap
// rec. change_cipher_spec records are the caller's to handle before Open.
//
// Errors: record_overflow when the record exceeds the limits;
// unexpected_message for an outer type other than application_data, an
// all-zero TLSInnerPlaintext or an unknown inner type; bad_record_mac for
// every deprotection failure, whatever failed.
func (a *AEAD13) Open(dst []byte, seq uint64, rec []byte) (record.ContentType, []byte, error) {
	if len(rec) < record.HeaderLen {
		return 0, nil, alert.BadRecordMAC
	}
	header, frag := rec[:record.HeaderLen], rec[record.HeaderLen:]
	// "An endpoint that receives a record that exceeds this length MUST
	// terminate the connection with a "record_overflow" alert" (RFC 8446,
	// Section 5.2). The TLSInnerPlaintext, padding included, is len(frag)-16
	// bytes, and "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1
	// octets" (RFC 8446, Section 5.4): both lengths are public, so neither
	// needs decrypting to judge.
	// A record_size_limit lowers the second bound: "A TLS endpoint that
	// receives a record larger than its advertised limit MUST generate a
	// fatal "record_overflow" alert" (RFC 8449, Section 4).
	if len(frag) > record.MaxCiphertextTLS13 || len(frag)-tagLen > a.limit {
		return 0, nil, alert.RecordOverflow
	}
	// "The outer opaque_type field of a TLSCiphertext record is always set
	// to the value 23 (application_data)" (RFC 8446, Section 5.2); "If a
	// TLS implementation receives an unexpected record type, it MUST
	// terminate the connection with an "unexpected_message" alert" (RFC
	// 8446, Section 5).
	if record.ContentType(header[0]) != record.ApplicationData {
		return 0, nil, alert.UnexpectedMessage
	}
	if len(frag) < tagLen {
		return 0, nil, alert.BadRecordMAC
	}
	if dst == nil {
		dst = frag[:0]
	}
	out, err := a.aead.Open(dst, a.nonce.set(seq), frag, header)
	if err != nil {
		return 0, nil, alert.BadRecordMAC
	}
	return innerType(out, len(dst))
}

// innerType strips TLSInnerPlaintext's padding and type from out[start:]
// and returns the type and out up to the content's end.
func innerType(out []byte, start int) (record.ContentType, []byte, error) {
	i := len(out) - 1
	for i >= start && out[i] == 0 {
		i--
	}
	// "If a receiving implementation does not find a non-zero octet in the
	// cleartext, it MUST terminate the connection with an
	// "unexpected_message" alert" (RFC 8446, Section 5.4).
	if i < start {
		return 0, nil, alert.UnexpectedMessage
	}
	typ := record.ContentType(out[i])
	if !typ.Known() {
		// An unknown real type is an unexpected record type (RFC 8446,
		// Section 5; alert policy, package alert).
		return 0, nil, alert.UnexpectedMessage
	}
	return typ, out[:i], nil
}
