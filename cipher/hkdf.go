package cipher

import (
	"crypto"
	"crypto/hkdf"

	"golang.org/x/crypto/cryptobyte"
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
	if secret == nil {
		secret = make([]byte, h.Size())
	}
	prk, err := hkdf.Extract(h.New, secret, salt)
	if err != nil {
		panic("cipher: " + err.Error())
	}
	return prk
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
	var b cryptobyte.Builder
	b.AddUint16(uint16(length))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes([]byte(labelPrefix))
		b.AddBytes([]byte(label))
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes(context)
	})
	info, err := b.Bytes()
	if err != nil || length < 0 || length > 0xffff {
		panic("cipher: invalid HKDF-Expand-Label arguments for " + label)
	}
	out, err := hkdf.Expand(h.New, secret, string(info), length)
	if err != nil {
		panic("cipher: " + err.Error())
	}
	return out
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
