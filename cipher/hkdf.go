package cipher

import (
	"crypto"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
)

// The TLS 1.3 key schedule primitives (RFC 8446, Section 7.1). The typed
// schedule built from them (early, handshake and master secrets) belongs to
// handshake. Every input here is ours, never the peer's, so misuse (an
// oversized label or length) is a programming error and panics.

// labelPrefix starts every HkdfLabel.label: "tls13 " + Label.
const labelPrefix = "tls13 "

// Extract is HKDF-Extract(salt, secret) with h (RFC 5869, Section 2.2). A
// nil secret stands for the absent secret of RFC 8446, Section 7.1: "If a
// given secret is not available, then the 0-value consisting of a string of
// Hash.length bytes set to zeros is used." A nil salt is the zero salt.
func Extract(h crypto.Hash, secret, salt []byte) []byte {
	if prk, ok := extract(h, secret, salt); ok {
		return prk
	}
	if secret == nil {
		secret = make([]byte, h.Size())
	}
	prk, err := hkdf.Extract(h.New, secret, salt)
	if err != nil {
		panic("cipher: " + err.Error())
	}
	return prk
}

// extract is Extract through hmacSum: PRK = HMAC-Hash(salt, IKM) (RFC
// 5869, Section 2.2), where a nil salt is "a string of HashLen zeros".
func extract(h crypto.Hash, secret, salt []byte) ([]byte, bool) {
	var zeros [sha512.Size]byte
	if secret == nil {
		secret = zeros[:h.Size()]
	}
	if salt == nil {
		salt = zeros[:h.Size()]
	}
	return hmacSum(h, make([]byte, 0, h.Size()), salt, secret, nil)
}

// ExpandLabel is HKDF-Expand-Label(secret, label, context, length) (RFC 8446,
// Section 7.1):
//
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
func ExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	if length < 0 || length > 0xffff || len(labelPrefix)+len(label) > 255 || len(context) > 255 {
		panic("cipher: invalid HKDF-Expand-Label arguments for " + label)
	}
	var buf [2 + 1 + 255 + 1 + 255]byte
	info := append(buf[:0], byte(length>>8), byte(length), byte(len(labelPrefix)+len(label)))
	info = append(append(info, labelPrefix...), label...)
	info = append(append(info, byte(len(context))), context...)
	// One block of HKDF-Expand, T(1) = HMAC-Hash(PRK, info | 0x01) (RFC
	// 5869, Section 2.3), is every key, IV and secret of the schedule.
	if length <= h.Size() {
		if t, ok := hmacSum(h, make([]byte, 0, h.Size()), secret, info, []byte{1}); ok {
			return t[:length:length]
		}
	}
	out, err := hkdf.Expand(h.New, secret, string(info), length)
	if err != nil {
		panic("cipher: " + err.Error())
	}
	return out
}

// HMAC returns HMAC-Hash(key, msg) (RFC 2104); for SHA-256 and SHA-384
// and short messages (a Finished over a transcript hash) it allocates only
// the result.
func HMAC(h crypto.Hash, key, msg []byte) []byte {
	if out, ok := hmacSum(h, make([]byte, 0, h.Size()), key, msg, nil); ok {
		return out
	}
	m := hmac.New(h.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// expandLabelTo appends HKDF-Expand-Label(secret, label, "", length) to dst
// through hmacSum, for length up to the hash size; ok is false otherwise.
func expandLabelTo(h crypto.Hash, dst, secret []byte, label string, length int) ([]byte, bool) {
	if length > h.Size() || len(labelPrefix)+len(label) > 255 {
		return dst, false
	}
	var buf [2 + 1 + 255 + 1]byte
	info := append(buf[:0], byte(length>>8), byte(length), byte(len(labelPrefix)+len(label)))
	info = append(append(append(info, labelPrefix...), label...), 0)
	var sum [sha512.Size384]byte
	t, ok := hmacSum(h, sum[:0], secret, info, []byte{1})
	if !ok {
		return dst, false
	}
	return append(dst, t[:length]...), true
}

// hmacSum appends HMAC-Hash(key, a | b) (RFC 2104) to dst for SHA-256 and
// SHA-384 with the message in a stack buffer: no allocation, where
// crypto/hmac allocates the MAC and both digests per call. ok is false for
// another hash or inputs too long for the buffer; the caller then uses
// crypto/hmac (through crypto/hkdf).
func hmacSum(h crypto.Hash, dst, key, a, b []byte) (out []byte, ok bool) {
	var block int
	switch h {
	case crypto.SHA256:
		block = sha256.BlockSize
	case crypto.SHA384:
		block = sha512.BlockSize
	default:
		return dst, false
	}
	var buf [sha512.BlockSize + 2 + 1 + 255 + 1 + 255 + 1]byte
	if len(key) > block || block+len(a)+len(b) > len(buf) {
		return dst, false
	}
	// H((K xor opad) | H((K xor ipad) | message)), K zero-padded to a block.
	msg := buf[:block]
	copy(msg, key)
	for i := range msg {
		msg[i] ^= 0x36
	}
	msg = append(append(msg, a...), b...)
	var sum [sha512.Size384]byte
	inner := digest(h, &sum, msg)
	msg = buf[:block]
	for i := range msg {
		msg[i] ^= 0x36 ^ 0x5c
	}
	return append(dst, digest(h, &sum, append(msg, inner...))...), true
}

// digest writes Hash(msg) for SHA-256 or SHA-384 into sum.
func digest(h crypto.Hash, sum *[sha512.Size384]byte, msg []byte) []byte {
	if h == crypto.SHA256 {
		*(*[sha256.Size]byte)(sum[:]) = sha256.Sum256(msg)
		return sum[:sha256.Size]
	}
	*sum = sha512.Sum384(msg)
	return sum[:]
}

// DeriveSecret is Derive-Secret(secret, label, messages) = HKDF-Expand-Label(
// secret, label, Transcript-Hash(messages), Hash.length) (RFC 8446, Section
// 7.1), given the transcript hash rather than the messages. For the
// "derived" secrets pass the hash of the empty string.
func DeriveSecret(h crypto.Hash, secret []byte, label string, transcriptHash []byte) []byte {
	return ExpandLabel(h, secret, label, transcriptHash, h.Size())
}

// TrafficKey derives the write key and IV from a traffic secret (RFC 8446,
// Section 7.3):
//
//	[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
//	[sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)
func (s *Suite) TrafficKey(secret []byte) (key, iv []byte) {
	// One allocation for both; full slice expressions keep them apart.
	kv := make([]byte, 0, s.KeyLen+nonceLen)
	if k, ok := expandLabelTo(s.Hash, kv, secret, "key", s.KeyLen); ok {
		if v, ok := expandLabelTo(s.Hash, k, secret, "iv", nonceLen); ok {
			return v[:s.KeyLen:s.KeyLen], v[s.KeyLen:]
		}
	}
	key = ExpandLabel(s.Hash, secret, "key", nil, s.KeyLen)
	iv = ExpandLabel(s.Hash, secret, "iv", nil, nonceLen)
	return key, iv
}

// NextTrafficSecret is the KeyUpdate derivation (RFC 8446, Section 7.2):
//
//	application_traffic_secret_N+1 =
//	    HKDF-Expand-Label(application_traffic_secret_N,
//	                      "traffic upd", "", Hash.length)
func (s *Suite) NextTrafficSecret(secret []byte) []byte {
	return ExpandLabel(s.Hash, secret, "traffic upd", nil, s.Hash.Size())
}
