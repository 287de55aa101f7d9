package handshake

import (
	"crypto"
	_ "crypto/sha256" // SHA-256 for the TLS 1.3 suites' transcript
	_ "crypto/sha512" // SHA-384 for TLS_AES_256_GCM_SHA384
	"hash"
)

// Transcript is the running transcript hash of the handshake (RFC 8446,
// Section 4.4.1): the hash of the concatenation of every handshake message,
// headers included, in the order sent and received.
//
// The hash is fixed by the cipher suite, which the client learns only from
// the ServerHello (or HelloRetryRequest). A transcript made with
// NewTranscriptBuffered keeps the raw messages until SetHash names it.
type Transcript struct {
	h    crypto.Hash
	hash hash.Hash // nil while buffering
	// buf holds the messages written before SetHash.
	buf []byte
	// hrrLen, while buffering, is the length of the ClientHello1 prefix of
	// buf that RewriteForHRR asked to replace with message_hash; 0 if none.
	hrrLen int
}

// NewTranscript returns an empty transcript hashed with h. h must be
// available (crypto/sha256 and crypto/sha512 are linked in).
func NewTranscript(h crypto.Hash) *Transcript {
	return &Transcript{h: h, hash: h.New()}
}

// NewTranscriptBuffered returns an empty transcript whose hash function is
// named later by SetHash; until then Write only buffers.
func NewTranscriptBuffered() *Transcript {
	return &Transcript{}
}

// Hash returns the transcript's hash function, 0 while buffering.
func (t *Transcript) Hash() crypto.Hash { return t.h }

// SetHash fixes the hash function and hashes the messages buffered so far
// (with ClientHello1 replaced by message_hash when RewriteForHRR was called
// while buffering). It panics if the hash was already set: the suite, and
// so the hash, is fixed once per handshake (the ServerHello after a
// HelloRetryRequest must repeat its suite, RFC 8446, Section 4.1.4), so a
// second call is a bug in the flow.
func (t *Transcript) SetHash(h crypto.Hash) {
	if t.hash != nil {
		panic("handshake: Transcript.SetHash called twice")
	}
	t.h, t.hash = h, h.New()
	buf := t.buf
	if t.hrrLen > 0 {
		t.hash.Write(messageHash(h, buf[:t.hrrLen]))
		buf = buf[t.hrrLen:]
	}
	t.hash.Write(buf)
	t.buf, t.hrrLen = nil, 0
}

// Write adds one whole handshake message, its 4-byte header included.
func (t *Transcript) Write(msg []byte) {
	if t.hash == nil {
		if t.buf == nil {
			// Room for the ServerHello too (a hybrid key share makes it
			// over 1 KiB), so that it is not copied again.
			t.buf = make([]byte, 0, len(msg)+1536)
		}
		t.buf = append(t.buf, msg...)
		return
	}
	t.hash.Write(msg)
}

// Sum returns the current transcript hash without ending the transcript.
// It panics while buffering: no secret can be derived before the suite is
// known.
func (t *Transcript) Sum() []byte {
	if t.hash == nil {
		panic("handshake: Transcript.Sum before SetHash")
	}
	return t.hash.Sum(nil)
}

// SumWith returns the transcript hash as if b were written, without
// writing it: the binder of a PSK hashes the transcript up to a truncated
// ClientHello that is never sent (RFC 8446, Section 4.2.11.2). It panics
// while buffering, as Sum does.
func (t *Transcript) SumWith(b []byte) []byte {
	if t.hash == nil {
		panic("handshake: Transcript.SumWith before SetHash")
	}
	c, err := t.hash.(hash.Cloner).Clone()
	if err != nil {
		panic("handshake: transcript hash cannot be cloned: " + err.Error())
	}
	c.Write(b)
	return c.Sum(nil)
}

// RewriteForHRR replaces the transcript so far, which must be exactly
// ClientHello1, with the synthetic message_hash message: "When the server
// responds to a ClientHello with a HelloRetryRequest, the value of
// ClientHello1 is replaced with a special synthetic handshake message of
// handshake type "message_hash" containing Hash(ClientHello1)" (RFC 8446,
// Section 4.4.1). Call it after ClientHello1 and before the
// HelloRetryRequest is written. While buffering, the replacement happens
// at SetHash.
func (t *Transcript) RewriteForHRR() {
	if t.hash == nil {
		t.hrrLen = len(t.buf)
		return
	}
	chHash := t.hash.Sum(nil)
	t.hash.Reset()
	t.hash.Write(MessageHash(chHash))
}

// messageHash returns the message_hash message that stands for
// ClientHello1 ch: "Transcript-Hash(ClientHello1, HelloRetryRequest, ...
// Mn) = Hash(message_hash || 00 00 Hash.length || Hash(ClientHello1) ||
// HelloRetryRequest || ... || Mn)" (RFC 8446, Section 4.4.1).
func messageHash(h crypto.Hash, ch []byte) []byte {
	d := h.New()
	d.Write(ch)
	return MessageHash(d.Sum(nil))
}
