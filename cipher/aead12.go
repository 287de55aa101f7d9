package cipher

import (
	stdcipher "crypto/cipher"
	"encoding/binary"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// explicitNonceLen is the per-record part of the AES-GCM nonce carried in
// each TLS 1.2 record (RFC 5288, Section 3).
const explicitNonceLen = 8

// aad12Len is the TLS 1.2 additional data length (RFC 5246, Section
// 6.2.3.3): seq_num(8) + type(1) + version(2) + length(2).
const aad12Len = 13

// AEAD12 is one direction's TLS 1.2 AEAD record protection: AES-GCM with the
// partially explicit nonce of RFC 5288, or ChaCha20-Poly1305 with the XOR
// nonce of RFC 7905. It implements both record.Sealer and record.Opener; use
// one value per direction. It is not safe for concurrent use.
type AEAD12 struct {
	aead     stdcipher.AEAD
	suite    *Suite
	explicit int // explicitNonceLen for AES-GCM, 0 for ChaCha20-Poly1305
	// nonce and aad live in the struct, not on the stack: a stack array
	// passed to the AEAD interface would escape and allocate per record.
	nonce xorNonce // AES-GCM: nonce.nonce[:4] is the salt, [4:] the explicit part
	aad   [aad12Len]byte
	limit int // plaintext limit: record.MaxPlaintext, or a record_size_limit
}

// NewTLS12 returns the protection keyed by one direction's key and IV from
// Suite.KeyBlock. It panics when s is not a TLS 1.2 suite or iv is not
// s.IVLen() bytes.
func NewTLS12(s *Suite, key, iv []byte) *AEAD12 {
	if s.Version != record.VersionTLS12 || len(iv) != s.IVLen() {
		panic("cipher: NewTLS12 with a wrong suite or IV length for " + s.Name)
	}
	a := &AEAD12{aead: s.newAEAD(key), suite: s, limit: record.MaxPlaintext}
	if s.chacha {
		a.nonce = newXORNonce(iv)
	} else {
		// "The salt is the "implicit" part of the nonce and is not sent
		// in the packet" (RFC 5288, Section 3).
		copy(a.nonce.nonce[:], iv)
		a.explicit = explicitNonceLen
	}
	return a
}

// SetRecordSizeLimit applies a record_size_limit (RFC 8449) of n plaintext
// bytes, clamped to [64, record.MaxPlaintext] ("For TLS 1.2 and earlier,
// that limit is 2^14 octets", RFC 8449, Section 4): an Opener then
// fails with record_overflow on a longer plaintext. A Sealer ignores it;
// the caller's record.Writer.SetMaxFragment keeps its records within n.
func (a *AEAD12) SetRecordSizeLimit(n int) { a.limit = min(max(n, 64), record.MaxPlaintext) }

// Suite returns the cipher suite a protects with.
func (a *AEAD12) Suite() *Suite { return a.suite }

// Protected reports true: records are encrypted.
func (a *AEAD12) Protected() bool { return true }

// MaxFragment is the TLSCiphertext limit: "The length MUST NOT exceed
// 2^14 + 2048" (RFC 5246, Section 6.2.3).
func (a *AEAD12) MaxFragment() int { return record.MaxCiphertextTLS12 }

// Overhead is the explicit nonce (AES-GCM only) plus the tag, both for Seal
// and for Open: a dst with len(fragment)-Overhead() spare bytes never grows.
func (a *AEAD12) Overhead() int { return a.explicit + tagLen }

// ContentOffset is where Seal puts the ciphertext: after the header and,
// for AES-GCM, the explicit nonce.
func (a *AEAD12) ContentOffset() int { return record.HeaderLen + a.explicit }

// RekeyNeeded reports whether seq, the next sequence number, has reached the
// usage limit of RFC 8446, Section 5.5, which bounds the AEAD whatever the
// TLS version: floor(2^24.5) records for AES-GCM, 2^64 for ChaCha20-Poly1305.
// TLS 1.2 has no KeyUpdate, so the connection must end instead.
func (a *AEAD12) RekeyNeeded(seq uint64) bool { return seq >= a.suite.rekeyAt() }

// setNonce builds the nonce for seq. AES-GCM's explicit part is the sequence
// number, as crypto/tls does: unique per key without any state ("The
// nonce_explicit MAY be the 64-bit sequence number", RFC 5288, Section 3).
func (a *AEAD12) setNonce(seq uint64) []byte {
	if a.explicit != 0 {
		binary.BigEndian.PutUint64(a.nonce.nonce[4:], seq)
		return a.nonce.nonce[:]
	}
	return a.nonce.set(seq)
}

// setAAD builds the additional data (RFC 5246, Section 6.2.3.3):
//
//	additional_data = seq_num + TLSCompressed.type +
//	                  TLSCompressed.version + TLSCompressed.length;
//
// header supplies type and version; length is the plaintext's.
func (a *AEAD12) setAAD(seq uint64, header []byte, length int) []byte {
	binary.BigEndian.PutUint64(a.aad[:8], seq)
	a.aad[8], a.aad[9], a.aad[10] = header[0], header[1], header[2]
	binary.BigEndian.PutUint16(a.aad[11:], uint16(length))
	return a.aad[:]
}

// Seal appends a TLSCiphertext carrying payload as content type typ under
// sequence number seq, version 0x0303 (RFC 5246, Section 6.2.3.3):
// header || [explicit nonce] || ciphertext || tag. The payload is encrypted
// straight into dst; it must not overlap dst's spare capacity except by
// lying exactly where the ciphertext goes, dst[len(dst)+ContentOffset():],
// where it is encrypted in place. Seal panics when len(payload) >
// record.MaxPlaintext.
func (a *AEAD12) Seal(dst []byte, typ record.ContentType, seq uint64, payload []byte) []byte {
	n := len(payload)
	if n > record.MaxPlaintext {
		panic("cipher: payload exceeds record.MaxPlaintext")
	}
	whole, out := grow(dst, record.HeaderLen+a.explicit+n+tagLen)
	putHeader(out, typ, record.VersionTLS12, a.explicit+n+tagLen)
	nonce := a.setNonce(seq)
	body := out[record.HeaderLen:]
	if a.explicit != 0 {
		// GenericAEADCipher.nonce_explicit (RFC 5246, Section 6.2.3.3).
		*(*[explicitNonceLen]byte)(body) = [explicitNonceLen]byte(nonce[nonceLen-explicitNonceLen:])
	}
	a.aead.Seal(body[a.explicit:a.explicit], nonce, payload, a.setAAD(seq, out, n))
	return whole
}

// Open deprotects rec, a whole TLSCiphertext, under sequence number seq and
// returns its content type and plaintext. With a nil dst the plaintext is
// decrypted in place and aliases rec; otherwise it is appended to dst
// (returned as dst followed by the plaintext, like stdcipher.AEAD.Open),
// which must not overlap rec.
//
// Errors: record_overflow when the record exceeds the limits;
// unexpected_message for an unknown content type; bad_record_mac for every
// deprotection failure, whatever failed.
func (a *AEAD12) Open(dst []byte, seq uint64, rec []byte) (record.ContentType, []byte, error) {
	if len(rec) < record.HeaderLen {
		return 0, nil, alert.BadRecordMAC
	}
	header, frag := rec[:record.HeaderLen], rec[record.HeaderLen:]
	// "The length MUST NOT exceed 2^14 + 2048" (RFC 5246, Section 6.2.3),
	// and the plaintext, whose length is public, "MUST NOT exceed 2^14"
	// (RFC 5246, Section 6.2.1): record_overflow for both (alert policy,
	// package alert; Section 7.2.2 names the alert for the ciphertext limit).
	if len(frag) > record.MaxCiphertextTLS12 || len(frag)-a.explicit-tagLen > a.limit {
		return 0, nil, alert.RecordOverflow
	}
	typ := record.ContentType(header[0])
	if !typ.Known() {
		// "If a TLS implementation receives an unexpected record type, it
		// MUST send an unexpected_message alert" (RFC 5246, Section 6).
		return 0, nil, alert.UnexpectedMessage
	}
	// The 1.2 additional data carries the plaintext length, not the
	// header's, so a header that misdescribes the fragment would otherwise
	// go unnoticed; in TLS 1.3 the header is the additional data itself.
	if len(frag) < a.explicit+tagLen || int(binary.BigEndian.Uint16(header[3:])) != len(frag) {
		return 0, nil, alert.BadRecordMAC
	}
	var nonce []byte
	if a.explicit != 0 {
		// The receiver takes the explicit part from the record.
		nonce = a.nonce.nonce[:]
		*(*[explicitNonceLen]byte)(nonce[nonceLen-explicitNonceLen:]) = [explicitNonceLen]byte(frag)
	} else {
		nonce = a.nonce.set(seq)
	}
	ct := frag[a.explicit:]
	if dst == nil {
		dst = ct[:0]
	}
	out, err := a.aead.Open(dst, nonce, ct, a.setAAD(seq, header, len(ct)-tagLen))
	if err != nil {
		return 0, nil, alert.BadRecordMAC
	}
	return typ, out, nil
}
